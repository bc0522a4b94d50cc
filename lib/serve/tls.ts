/**
 * `serve --tls` at start-up, for the accept loop and for `--stdio`: the certificate and
 * key (lib/tls, loaded only when asked for, so a plain server starts as fast as before),
 * and what the listening line says about them; and `--forward-tls`'s trust files, read
 * once for every pair the relay dials.
 */

import type { TlsClientMaterial } from "../tls/client.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import type { TlsClientOptions, TlsServeOptions } from "../tls/options.ts";
import type { ListeningTls } from "./log.ts";

/** Loads or makes the credentials; each warning (e.g. an expired certificate) goes to `warn`. */
export async function loadTls(
  options: TlsServeOptions,
  warn: (message: string) => void,
): Promise<TlsServerCredentials> {
  const { loadServerCredentials } = await import("../tls/credentials.ts");
  const { credentials, warnings } = await loadServerCredentials(options);
  warnings.forEach(warn);
  return credentials;
}

/** The fingerprint, and a connect command that pins it, for the server at `address`. */
export async function listeningTls(
  address: string,
  tls: TlsServerCredentials,
): Promise<ListeningTls> {
  const { connectCommand } = await import("../tls/info.ts");
  return {
    fingerprint: `sha256:${tls.fingerprint}`,
    connect: connectCommand(address, tls.fingerprint, tls.clientCa !== undefined),
  };
}

/**
 * Reads `--forward-ca`, `--forward-cert`/`--forward-key` once; failures are one-line
 * RuntimeErrors naming the flag. Each upstream conn may hold at most as much unread data
 * as a TLS client of serve may send ahead, so a slow client cannot make the relay buffer
 * without bound what a fast TLS upstream sends.
 */
export async function loadForwardTls(options: TlsClientOptions): Promise<TlsClientMaterial> {
  const [{ loadClientMaterial }, { MAX_READ_AHEAD_BYTES }] = await Promise.all([
    import("../tls/client.ts"),
    import("../tls/server.ts"),
  ]);
  const material = await loadClientMaterial(options, { prefix: "forward-" });
  return { ...material, maxReadAheadBytes: MAX_READ_AHEAD_BYTES };
}
