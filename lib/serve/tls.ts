/**
 * `serve --tls` at start-up, for the accept loop and for `--stdio`: the certificate and
 * key (lib/tls, loaded only when asked for, so a plain server starts as fast as before),
 * and what the listening line says about them.
 */

import type { TlsServerCredentials } from "../tls/credentials.ts";
import type { TlsServeOptions } from "../tls/options.ts";
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
