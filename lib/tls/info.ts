/**
 * What a TLS handshake established, as tcpkit reports it: protocol, cipher, ALPN and
 * the peer's certificate (fingerprint, subject). Reading it from a node:tls socket, and
 * one-line renderings for `connect -v`, serve's log and bench's report.
 */

import type { PeerCertificate, TLSSocket } from "node:tls";
import { formatFingerprint } from "./fingerprint.ts";

/** A peer's certificate, as far as tcpkit shows it. */
export interface TlsCertificateInfo {
  /** SHA-256 of its DER bytes, 64 lowercase hex digits. */
  fingerprint: string;
  /** Its subject, e.g. `CN=alice, O=Example`. */
  subject: string;
}

/** One established TLS session. */
export interface TlsPeerInfo {
  /** e.g. `TLSv1.3`. */
  protocol: string;
  /** e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
  /** The ALPN protocol agreed on, if any. */
  alpn: string | undefined;
  /** The certificate the peer sent; a client may send none. */
  certificate: TlsCertificateInfo | undefined;
}

/**
 * A served conn's client certificate (mTLS) as `SUBJECT sha256:HEX`, for the open event;
 * undefined for plain conns and clients that sent none.
 */
export function clientCertificateOf(conn: Deno.Conn): string | undefined {
  const certificate = (conn as Partial<{ tls: TlsPeerInfo }>).tls?.certificate;
  return certificate && `${certificate.subject} ${formatFingerprint(certificate.fingerprint)}`;
}

/** Reads the session's facts from a connected node:tls socket. */
export function peerInfo(socket: TLSSocket): TlsPeerInfo {
  const cert = socket.getPeerCertificate() as PeerCertificate | Record<string, never>;
  const alpn = socket.alpnProtocol;
  return {
    protocol: socket.getProtocol() ?? "unknown",
    cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? "unknown",
    alpn: typeof alpn === "string" && alpn !== "" ? alpn : undefined,
    certificate: "fingerprint256" in cert && cert.fingerprint256
      ? {
        fingerprint: cert.fingerprint256.replaceAll(":", "").toLowerCase(),
        subject: describeName(cert.subject),
      }
      : undefined,
  };
}

/** A distinguished name as `CN=alice, O=Example` (CN first, then as given). */
export function describeName(name: object | undefined): string {
  if (!name) return "";
  const entries = Object.entries(name as Record<string, string | string[]>).sort((
    [a],
    [b],
  ) => (a === "CN" ? -1 : b === "CN" ? 1 : 0));
  return entries
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : value}`)
    .join(", ");
}

/**
 * One line about the session: `TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN h2, certificate
 * sha256:… (CN=localhost)`.
 */
export function renderTlsInfo(info: TlsPeerInfo, certificateLabel = "certificate"): string {
  const parts = [`${info.protocol} ${info.cipher}`, `ALPN ${info.alpn ?? "none"}`];
  if (info.certificate) {
    const { fingerprint, subject } = info.certificate;
    parts.push(
      `${certificateLabel} ${formatFingerprint(fingerprint)}${subject ? ` (${subject})` : ""}`,
    );
  } else {
    parts.push(`${certificateLabel} not shown`);
  }
  return parts.join(", ");
}

/**
 * The `tcpkit connect` line a server prints for its clients: it pins the certificate,
 * and reaches a wildcard address (0.0.0.0, ::) through loopback. With mTLS it names
 * the client certificate the user must bring.
 */
export function connectCommand(listening: string, fingerprint: string, clientCert: boolean) {
  const target = listening.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
  const mtls = clientCert ? " --cert CLIENT.crt --key CLIENT.key" : "";
  return `tcpkit connect --tls --pin ${formatFingerprint(fingerprint)}${mtls} ${target}`;
}
