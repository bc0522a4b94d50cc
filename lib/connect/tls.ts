/**
 * `connect --tls` at the edges: the trust files read once (lib/tls, loaded only when
 * asked for), and what is said on stderr about the session: always a warning when the
 * server was not verified (`--insecure`), and with `-v` protocol, cipher, ALPN and the
 * server's certificate.
 */

import { formatAddress } from "../common/address.ts";
import type { Address } from "../common/address.ts";
import { writeStderrLine } from "../common/stderr.ts";
import type { TlsClientConn, TlsClientMaterial } from "../tls/client.ts";
import type { TlsClientOptions } from "../tls/options.ts";

/** Reads `--ca`, `--cert`/`--key`; failures are one-line RuntimeErrors. */
export async function loadTlsClient(options: TlsClientOptions): Promise<TlsClientMaterial> {
  const { loadClientMaterial } = await import("../tls/client.ts");
  return await loadClientMaterial(options);
}

/** The `--insecure` warning, and with `verbose` the session line. */
export async function reportTls(conn: Deno.Conn, target: Address, verbose: boolean) {
  const { renderTlsInfo } = await import("../tls/info.ts");
  const { formatFingerprint } = await import("../tls/fingerprint.ts");
  const { tls, trust } = conn as TlsClientConn;
  const certificate = tls.certificate!;
  if (trust === "insecure") {
    writeStderrLine(
      `tcpkit: warning: not verifying "${
        formatAddress(target)
      }" (--insecure); its certificate is ` +
        `${formatFingerprint(certificate.fingerprint)}${
          certificate.subject ? ` (${certificate.subject})` : ""
        }`,
    );
  }
  if (verbose) {
    const how = { verified: "verified", pinned: "pinned", insecure: "NOT verified" }[trust];
    writeStderrLine(`tcpkit: TLS ${renderTlsInfo(tls)}, ${how}`);
  }
}
