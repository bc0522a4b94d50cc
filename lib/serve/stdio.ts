/**
 * `tcpkit serve --stdio`: accept one connection and bridge it to stdin/stdout, like
 * `nc -l`, with `connect`'s half-close rules: stdin EOF shuts down the socket's write
 * side, and the command ends once the peer has closed and its bytes are on stdout
 * (or, with `--keep-sending`, once stdin has been sent as well).
 *
 * `--allow`/`--deny` apply as they do for a server: a refused peer is closed at accept,
 * before a byte of it is read, logged, and the command goes on waiting for a peer it may
 * serve. Its log lines are serve's events (`--log json`, `--quiet`), with mode `stdio`.
 */

import { formatNetAddr } from "../common/address.ts";
import type { ServeOptions } from "./options.ts";
import { peerDenied } from "./cidr.ts";
import { describeNetError, RuntimeError } from "../common/errors.ts";
import { closeQuietly } from "../common/io.ts";
import type { LogEvent } from "./log.ts";
import { bridge } from "../common/pipe.ts";
import { bindListener } from "./server.ts";
import { clientCertificateOf } from "../tls/info.ts";
import { listeningTls, loadTls } from "./tls.ts";
import { TlsHandshakeFailed } from "../tls/errors.ts";
import { StdinRingReader } from "../common/stdin_reader.ts";

/** Serves one connection over stdin/stdout, logging to `log`; resolves to the exit code. */
export async function serveStdio(
  options: ServeOptions,
  log: (event: LogEvent) => void,
): Promise<number> {
  const tls = options.tls &&
    await loadTls(options.tls, (message) => log({ event: "warning", message }));
  const listener = await bindListener(options.address, { unixMode: options.unixMode, tls });
  const address = formatNetAddr(listener.addr, options.address);
  log({
    event: "listening",
    address,
    mode: "stdio",
    maxConns: 1,
    workers: 1,
    tls: tls && await listeningTls(address, tls),
  });
  let conn: Deno.Conn;
  try {
    conn = await acceptAllowed(listener, options, log);
  } finally {
    listener.close(); // (closing a unix listener removes its file)
  }
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  const peer = formatNetAddr(conn.remoteAddr);
  log({ event: "open", id: 1, peer, client: clientCertificateOf(conn) });
  const startMs = performance.now();
  const stdin = new StdinRingReader();
  try {
    const result = await bridge(conn, stdin, Deno.stdout, {
      idleTimeoutMs: options.idleTimeoutMs,
      keepSending: options.keepSending,
    });
    log({
      event: "close",
      id: 1,
      peer,
      bytesIn: result.bytesReceived,
      bytesOut: result.bytesSent,
      durationMs: performance.now() - startMs,
      reason: "client closed",
    });
    return 0;
  } finally {
    stdin.close();
    closeQuietly(conn);
  }
}

/**
 * The first connection `--allow`/`--deny` let in (over TLS, whose handshake succeeds); the
 * others are closed unread and logged.
 */
async function acceptAllowed(
  listener: Deno.Listener,
  options: ServeOptions,
  log: (event: LogEvent) => void,
): Promise<Deno.Conn> {
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (error instanceof TlsHandshakeFailed) {
        log({ event: "refused", peer: error.peer, reason: `TLS handshake: ${error.reason}` });
        continue;
      }
      throw new RuntimeError(`cannot accept: ${describeNetError(error)}`);
    }
    const denied = peerDenied(options.access, conn.remoteAddr);
    if (denied === undefined) return conn;
    log({ event: "refused", peer: formatNetAddr(conn.remoteAddr), reason: denied });
    conn.close();
  }
}
