/**
 * `tcpkit serve --stdio`: accept one connection and bridge it to stdin/stdout, like
 * `nc -l`, with `connect`'s half-close rules: stdin EOF shuts down the socket's write
 * side, and the command ends once the peer has closed and its bytes are on stdout
 * (or, with `--keep-sending`, once stdin has been sent as well).
 */

import { formatNetAddr } from "../common/address.ts";
import { formatTransfer } from "../common/format.ts";
import type { ServeOptions } from "./options.ts";
import { describeNetError, RuntimeError } from "../common/errors.ts";
import { closeQuietly } from "../common/io.ts";
import { bridge } from "../common/pipe.ts";
import { bindListener } from "./server.ts";
import { listeningTls, loadTls } from "./tls.ts";
import { TlsHandshakeFailed } from "../tls/errors.ts";
import { StdinRingReader } from "../common/stdin_reader.ts";
import { writeStderrLine } from "../common/stderr.ts";

/** Serves one connection over stdin/stdout; resolves to the exit code. */
export async function serveStdio(options: ServeOptions): Promise<number> {
  const tls = options.tls &&
    await loadTls(options.tls, (message) => writeStderrLine(`warning: ${message}`));
  const listener = await bindListener(options.address, false, tls);
  const address = formatNetAddr(listener.addr);
  const hint = tls && await listeningTls(address, tls);
  writeStderrLine(
    `listening on ${address} (stdio, one connection${hint ? `, tls ${hint.fingerprint}` : ""})` +
      (hint ? `\nconnect with: ${hint.connect}` : ""),
  );
  let conn: Deno.Conn;
  try {
    conn = await acceptOne(listener);
  } catch (error) {
    throw new RuntimeError(`cannot accept: ${describeNetError(error)}`);
  } finally {
    listener.close();
    if (listener.addr.transport === "unix") await Deno.remove(listener.addr.path).catch(() => {});
  }
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  if (!options.quiet) {
    const client = (conn as { tls?: { certificate?: { subject: string; fingerprint: string } } })
      .tls?.certificate;
    writeStderrLine(
      `connection from ${formatNetAddr(conn.remoteAddr)}` +
        (client ? ` (client ${client.subject} sha256:${client.fingerprint})` : ""),
    );
  }
  const startMs = performance.now();
  const stdin = new StdinRingReader();
  try {
    const result = await bridge(conn, stdin, Deno.stdout, {
      idleTimeoutMs: options.idleTimeoutMs,
      keepSending: options.keepSending,
    });
    if (!options.quiet) {
      writeStderrLine(
        `closed: ${
          formatTransfer(result.bytesSent, result.bytesReceived, performance.now() - startMs)
        }`,
      );
    }
    return 0;
  } finally {
    stdin.close();
    closeQuietly(conn);
  }
}

/** The first connection; over TLS, the first whose handshake succeeds (others are logged). */
async function acceptOne(listener: Deno.Listener): Promise<Deno.Conn> {
  while (true) {
    try {
      return await listener.accept();
    } catch (error) {
      if (!(error instanceof TlsHandshakeFailed)) throw error;
      writeStderrLine(`refused ${error.peer}: TLS handshake: ${error.reason}`);
    }
  }
}
