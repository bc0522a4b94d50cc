/**
 * The TLS side of `connect --tls` and `bench --tls`: dial TCP (TCP_NODELAY at once), then
 * a node:tls handshake on that socket, and decide trust before a byte is sent: the chain
 * and name against the system roots plus `--ca`, or exactly the `--pin`ned certificate,
 * or nothing (`--insecure`, reported by the caller). A failure to connect is a
 * {@linkcode DialError} (retried by `--wait`); a certificate that is not trusted is a
 * {@linkcode TlsTrustError}, whose one line shows the fingerprint to pin.
 */

import net from "node:net";
import tls from "node:tls";
import { type Address, formatAddress, type TcpAddress } from "../common/address.ts";
import { DialError } from "../common/dial.ts";
import { describeNetError, RuntimeError } from "../common/errors.ts";
import { NodeTlsConn } from "./conn.ts";
import { TlsTrustError } from "./errors.ts";
import { formatFingerprint } from "./fingerprint.ts";
import { peerInfo } from "./info.ts";
import { ipBytes } from "./names.ts";
import type { TlsClientOptions } from "./options.ts";
import { pemBlocks } from "./pem.ts";
import { readCertifiedKey } from "./credentials.ts";

/** How a connection's server certificate was accepted. */
export type TlsTrust = "verified" | "pinned" | "insecure";

/** A TLS client connection: a `Deno.Conn` with its session facts and how it was trusted. */
export interface TlsClientConn extends NodeTlsConn {
  trust: TlsTrust;
}

/** What every connection of a run uses: options with their files read. Plain data. */
export interface TlsClientMaterial {
  options: TlsClientOptions;
  /** Trust anchors when verifying with `--ca`: the system and bundled roots, then the file's. */
  ca: string[] | undefined;
  /** The `--ca` certificates alone. */
  extraCa?: string[];
  /** The client certificate chain and key (mTLS). */
  cert: string | undefined;
  key: string | undefined;
  /** What the trust flags are called in this command (`forward-` for serve's relay). */
  prefix?: string;
  /**
   * Received bytes not yet read that make a connection fail (a relay's guard: node:tls
   * reads on regardless, see conn.ts); no limit by default.
   */
  maxReadAheadBytes?: number;
}

/**
 * Reads the files the options name, once per run. Verification uses the system's roots
 * and Mozilla's (Deno's bundled set); `--ca` adds its certificates to them. Deno's
 * node:tls parses every trust anchor of `ca` again at each handshake (~50 ms for the
 * ~300 roots, measured): fine for one connection, not for a benchmark, which passes
 * `withRoots: false` to get the `--ca` certificates alone (see lib/bench/tls.ts).
 */
export async function loadClientMaterial(
  options: TlsClientOptions,
  { withRoots = true, prefix = "" } = {},
): Promise<TlsClientMaterial> {
  const caFlag = `--${prefix}ca`;
  useSystemRoots();
  let ca: string[] | undefined;
  let extraCa: string[] | undefined;
  if (options.caFile !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(options.caFile);
    } catch (error) {
      throw new RuntimeError(
        `cannot read ${caFlag} "${options.caFile}": ${describeNetError(error)}`,
      );
    }
    let extra: string[];
    try {
      extra = pemBlocks(text).filter((b) => b.label === "CERTIFICATE").map((b) => b.text);
    } catch (error) {
      throw new RuntimeError(`${caFlag} "${options.caFile}": ${(error as Error).message}`);
    }
    if (extra.length === 0) {
      throw new RuntimeError(`${caFlag} "${options.caFile}" has no PEM certificate`);
    }
    extraCa = extra;
    ca = withRoots
      ? [...new Set([...tls.getCACertificates("system"), ...tls.rootCertificates]), ...extra]
      : extra;
  }
  let cert: string | undefined, key: string | undefined;
  if (options.certFile !== undefined) {
    ({ cert, key } = await readCertifiedKey(options.certFile, options.keyFile!, [], prefix));
  }
  return { options, ca, extraCa, cert, key, ...(prefix ? { prefix } : {}) };
}

/**
 * Unless the user chose a root store (DENO_TLS_CA_STORE), verify against the system's
 * roots and Mozilla's, so a CA the system trusts is trusted here too. Read by Deno at
 * the first TLS connection, so set before it.
 */
function useSystemRoots() {
  if (Deno.env.get("DENO_TLS_CA_STORE") === undefined) {
    Deno.env.set("DENO_TLS_CA_STORE", "system,mozilla");
  }
}

/** Who hears a fatal alert Deno throws instead of emitting (see {@linkcode hearStrayAlerts}). */
const strayAlertTargets = new Set<(error: Error) => void>();
let strayAlertListener = false;

/**
 * Deno 2.9.6 now and then throws a peer's fatal TLS alert (a server refusing our client
 * certificate) from inside the TCP socket's read callback instead of emitting it, which
 * would end the process with an uncaught exception and a stack trace. One global listener
 * takes such an error back and hands it to every live node:tls client (a handshake in
 * progress fails with it; an open conn's reads throw it), so it is reported like any other
 * alert. `connect` has one client; a bench run's clients all face the same server, which
 * refuses them alike. Returns the function that stops `target` hearing them.
 */
function hearStrayAlerts(target: (error: Error) => void): () => void {
  strayAlertTargets.add(target);
  if (!strayAlertListener) {
    strayAlertListener = true;
    globalThis.addEventListener("error", (event) => {
      const error = event.error;
      if (!(error instanceof Error) || !/fatal alert/i.test(error.message)) return;
      if (strayAlertTargets.size === 0) return;
      event.preventDefault();
      for (const hear of [...strayAlertTargets]) hear(error);
    });
  }
  return () => strayAlertTargets.delete(target);
}

/** Connects and completes the handshake within `timeoutMs`; trust is settled on return. */
export async function dialTls(
  address: Address,
  timeoutMs: number,
  material: TlsClientMaterial,
): Promise<TlsClientConn> {
  if (address.transport === "tcp" && wantsKeyLog(material)) {
    return await dialDenoTls(address, timeoutMs, material);
  }
  const deadline = performance.now() + timeoutMs;
  const raw = await connectTcp(address, timeoutMs);
  raw.on("error", () => {}); // during the handshake the TLS socket reports failures
  const { options } = material;
  const name = options.servername ??
    (address.transport === "tcp" ? address.hostname : "localhost");
  const isIp = ipBytes(name) !== undefined;
  // allowHalfOpen is honoured by tls.connect (it reaches the TLSSocket) but not in its types.
  const socket = tls.connect({
    socket: raw,
    // SNI is for DNS names only; an IP address is verified through `host`.
    ...(isIp ? { host: name } : { servername: name, host: name }),
    rejectUnauthorized: false, // decided below, with the certificate at hand
    allowHalfOpen: true, // the server's EOF must not end what we still send
    ...(material.ca ? { ca: material.ca } : {}),
    ...(material.cert ? { cert: material.cert, key: material.key } : {}),
    ...(options.alpn.length > 0 ? { ALPNProtocols: options.alpn } : {}),
  } as unknown as tls.ConnectionOptions);
  let stray: Error | undefined;
  const stopHearing = hearStrayAlerts((error) => {
    stray ??= error;
    socket.destroy(error); // settle rejects, if it has not settled yet
  });
  try {
    await settle(socket, "secureConnect", deadline - performance.now());
    // An alert can land between the handshake's end and this line.
    if (stray !== undefined) throw stray;
  } catch (error) {
    socket.destroy();
    raw.destroy();
    const reason = error instanceof DOMException ? "timed out" : describeTlsError(error);
    throw new RuntimeError(`TLS handshake with "${formatAddress(address)}" failed: ${reason}`);
  } finally {
    stopHearing();
  }
  const info = peerInfo(socket);
  const unixPath = address.transport === "unix" ? address.path : undefined;
  const conn = new NodeTlsConn(
    socket,
    info,
    unixPath,
    material.maxReadAheadBytes,
  ) as TlsClientConn;
  // Deno reports a TLS alert after the handshake (a server refusing our certificate) on
  // the TCP socket, not the TLS one: the conn must hear it (and nothing may go unheard).
  raw.on("error", (error: Error) => conn.fail(error));
  socket.once("close", hearStrayAlerts((error) => conn.fail(error)));
  try {
    const fingerprint = info.certificate?.fingerprint;
    conn.trust = decideTrust(address, name, socket, fingerprint, options, material.prefix ?? "");
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}

function decideTrust(
  address: Address,
  name: string,
  socket: tls.TLSSocket,
  fingerprint: string | undefined,
  options: TlsClientOptions,
  prefix: string,
): TlsTrust {
  const where = `"${formatAddress(address)}"`;
  if (fingerprint === undefined) throw new TlsTrustError(where, "is missing: none was sent");
  const shown = formatFingerprint(fingerprint);
  if (options.insecure) return "insecure";
  if (options.pin !== undefined) {
    if (fingerprint === options.pin) return "pinned";
    throw new TlsTrustError(where, `is ${shown}, not the pinned ${formatFingerprint(options.pin)}`);
  }
  if (socket.authorized) return "verified";
  const why = describeAuthorizationError(String(socket.authorizationError ?? ""), name);
  throw new TlsTrustError(
    where,
    `is not trusted (${why}): ${shown}; ` +
      `trust it with --${prefix}pin ${shown}` +
      (options.caFile === undefined ? ` or --${prefix}ca FILE` : ""),
  );
}

/** `authorizationError` codes (OpenSSL's names) in a few words. */
export function describeAuthorizationError(code: string, name: string): string {
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
      return "self-signed";
    case "SELF_SIGNED_CERT_IN_CHAIN":
      return "self-signed certificate in the chain";
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
      return "issued by an unknown CA";
    case "CERT_HAS_EXPIRED":
      return "expired";
    case "CERT_NOT_YET_VALID":
      return "not yet valid";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `not issued for "${name}"; see --servername`;
    default:
      return code.toLowerCase().replaceAll("_", " ") || "unknown reason";
  }
}

function describeTlsError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/ECONNRESET|socket hang up|disconnected before secure/i.test(message)) {
    return "the server closed the connection (not a TLS server?)";
  }
  if (/CertificateRequired|certificate required/i.test(message)) {
    return "the server requires a client certificate (--cert/--key)";
  }
  const line = message.split("\n")[0].replace(/^received fatal alert: /i, "alert: ");
  return /unexpected handshake message|wrong version number|corrupt message|invalidcontenttype/i
      .test(line)
    ? `${line} (is it a TLS server?)`
    : line;
}

/** TCP (or unix) connect with TCP_NODELAY; failures are DialErrors, as for plain TCP. */
function connectTcp(address: Address, timeoutMs: number): Promise<net.Socket> {
  const socket = address.transport === "unix"
    ? net.connect({ path: address.path, allowHalfOpen: true })
    : net.connect({ host: address.hostname, port: address.port, allowHalfOpen: true });
  return settle(socket, "connect", timeoutMs).then(
    () => {
      if (address.transport === "tcp") socket.setNoDelay(true);
      return socket;
    },
    (error) => {
      socket.destroy();
      throw new DialError(address, describeConnectError(error));
    },
  );
}

/** Node's connect errors in the words of lib/common/dial.ts. */
function describeConnectError(error: unknown): string {
  if (error instanceof DOMException) return "timed out";
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return "unknown host";
    case "ETIMEDOUT":
      return "timed out";
    case "ENOENT":
      return "not found";
    case "EACCES":
      return "permission denied";
    default:
      return describeNetError(error);
  }
}

/** Resolves on `event`, rejects on 'error', 'close' or after `timeoutMs` (a DOMException). */
function settle(
  socket: net.Socket | tls.TLSSocket,
  event: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(() => reject(new DOMException("timed out", "TimeoutError"))),
      Math.max(1, timeoutMs),
    );
    const onEvent = () => finish(resolve);
    const onError = (error: Error) => finish(() => reject(error));
    const onClose = () =>
      finish(() => reject(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
    const finish = (then: () => void) => {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off("error", onError);
      socket.off("close", onClose);
      then();
    };
    socket.once(event, onEvent);
    socket.once("error", onError);
    socket.once("close", onClose);
  });
}

/**
 * Whether to dial with Deno's own TLS, which writes SSLKEYLOGFILE (Deno's node:tls does
 * not): only when the user set it, for a verified TCP connection without a client
 * certificate (Deno's TLS can neither pin, skip verification nor present one).
 */
function wantsKeyLog(material: TlsClientMaterial): boolean {
  const { options } = material;
  return !!Deno.env.get("SSLKEYLOGFILE") && options.pin === undefined && !options.insecure &&
    material.cert === undefined;
}

/**
 * `Deno.connect` (TCP_NODELAY) then `Deno.startTls`, verifying against the same roots
 * plus `--ca`. Deno's TLS reports only the ALPN protocol: the session line says so.
 */
async function dialDenoTls(
  address: TcpAddress,
  timeoutMs: number,
  material: TlsClientMaterial,
): Promise<TlsClientConn> {
  const { options } = material;
  const name = options.servername ?? address.hostname;
  let tcp: Deno.TcpConn;
  try {
    tcp = await Deno.connect({
      hostname: address.hostname,
      port: address.port,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DialError(address, describeConnectError(error));
  }
  tcp.setNoDelay(true);
  let conn: Deno.TlsConn | undefined;
  try {
    conn = await Deno.startTls(tcp, {
      hostname: name,
      caCerts: material.extraCa ?? material.ca ?? [],
      alpnProtocols: options.alpn.length > 0 ? options.alpn : undefined,
    });
    const { alpnProtocol } = await conn.handshake();
    return Object.assign(conn, {
      tls: {
        protocol: "TLS",
        cipher: "(not reported by Deno's TLS, used for SSLKEYLOGFILE)",
        alpn: alpnProtocol ?? undefined,
        certificate: undefined,
      },
      trust: "verified" as const,
    }) as unknown as TlsClientConn;
  } catch (error) {
    try {
      (conn ?? tcp).close();
    } catch {
      // already closed
    }
    const message = (error as Error).message.split("\n")[0];
    if (/certificate|UnknownIssuer|NotValidForName|Expired/i.test(message)) {
      throw new TlsTrustError(
        `"${formatAddress(address)}"`,
        `is not trusted (${message}); unset SSLKEYLOGFILE to see its fingerprint`,
      );
    }
    throw new RuntimeError(`TLS handshake with "${formatAddress(address)}" failed: ${message}`);
  }
}
