/**
 * TLS failures that the rest of tcpkit tells apart, in a module of their own so that
 * recognising one does not load node:tls.
 */

import { RuntimeError } from "../common/errors.ts";

/** A client's TLS handshake with the server failed; the server goes on accepting. */
export class TlsHandshakeFailed extends RuntimeError {
  override name = "TlsHandshakeFailed";
  constructor(readonly peer: string, readonly reason: string) {
    super(`TLS handshake with ${peer} failed: ${reason}`);
  }
}

/** The server's certificate is not trusted, or not the pinned one: nothing was sent. */
export class TlsTrustError extends RuntimeError {
  override name = "TlsTrustError";
  /** `reason` says what is wrong with the certificate, e.g. `is not trusted (self-signed): …`. */
  constructor(readonly where: string, readonly reason: string) {
    super(`certificate of ${where} ${reason}`);
  }
}
