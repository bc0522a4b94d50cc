/**
 * `bench --tls`: the TLS material every client Worker dials with, settled once in the
 * main thread by a probe connection that applies `connect`'s trust rules (so an
 * untrusted server is one clear error before any Worker starts, and the report names the
 * session and certificate). The embedded server gets a fresh certificate; the clients
 * verify it as a CA-issued one would be (chain and name), not by a cheaper pin.
 *
 * With `--ca`, the probe tries the file's CAs alone, then the system roots: measured
 * connections then carry only the anchors that verified the server, because Deno's
 * node:tls parses every anchor again at each handshake (all ~300 roots cost ~50 ms, and
 * would be what `--mode connect` measured).
 */

import { type Address, formatAddress } from "../common/address.ts";
import type { TlsClientConn, TlsClientMaterial } from "../tls/client.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import type { TlsClientOptions } from "../tls/options.ts";

/** What the report says about TLS. */
export interface BenchTls {
  protocol: string;
  cipher: string;
  /**
   * The server certificate's SHA-256, 64 lowercase hex digits; undefined when Deno's own
   * TLS was used (SSLKEYLOGFILE set), which does not show it.
   */
  fingerprint: string | undefined;
  /** How the clients trust the server. */
  trust: "verified" | "pinned" | "insecure";
}

/** No trust flags: what the embedded server's clients are given besides its certificate. */
const NO_FLAGS: TlsClientOptions = {
  caFile: undefined,
  pin: undefined,
  insecure: false,
  servername: undefined,
  alpn: [],
  certFile: undefined,
  keyFile: undefined,
};

/** A fresh certificate for the embedded server (loaded only with `--tls`). */
export async function embeddedCredentials(): Promise<TlsServerCredentials> {
  const { loadServerCredentials } = await import("../tls/credentials.ts");
  const { credentials } = await loadServerCredentials({
    certFile: undefined,
    keyFile: undefined,
    ephemeral: true,
    names: [],
    certOut: undefined,
    clientCaFile: undefined,
  });
  return credentials;
}

/**
 * The clients' material and the session facts, from a probe connection to `address`.
 * `embedded` is the embedded server's credentials, trusted as a CA would be.
 */
export async function settleBenchTls(
  options: TlsClientOptions | undefined,
  address: Address,
  timeoutMs: number,
  embedded: TlsServerCredentials | undefined,
): Promise<{ material: TlsClientMaterial; tls: BenchTls; warning?: string }> {
  const { dialTls, loadClientMaterial } = await import("../tls/client.ts");
  const { TlsTrustError } = await import("../tls/errors.ts");
  let material: TlsClientMaterial = embedded
    ? { options: NO_FLAGS, ca: [embedded.cert], cert: undefined, key: undefined }
    : await loadClientMaterial(options!, { withRoots: false });
  let conn: TlsClientConn;
  try {
    conn = await dialTls(address, timeoutMs, material);
  } catch (error) {
    if (!(error instanceof TlsTrustError) || material.options.caFile === undefined) throw error;
    // Not issued by a --ca certificate: perhaps by one of the system's roots.
    const roots = { ...material, ca: undefined };
    conn = await dialTls(address, timeoutMs, roots).catch(() => {
      throw error;
    });
    material = roots;
  }
  conn.close();
  const tls: BenchTls = {
    protocol: conn.tls.protocol,
    cipher: conn.tls.cipher,
    fingerprint: conn.tls.certificate?.fingerprint,
    trust: conn.trust,
  };
  const warning = conn.trust === "insecure"
    ? `tcpkit: warning: not verifying "${formatAddress(address)}" (--insecure); its ` +
      `certificate is sha256:${tls.fingerprint}`
    : undefined;
  return { material, tls, warning };
}
