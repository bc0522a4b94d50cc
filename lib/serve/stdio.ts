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
import { StdinRingReader } from "../common/stdin_reader.ts";
import { writeStderrLine } from "../common/stderr.ts";

/** Serves one connection over stdin/stdout; resolves to the exit code. */
export async function serveStdio(options: ServeOptions): Promise<number> {
  const listener = await bindListener(options.address, { unixMode: options.unixMode });
  writeStderrLine(`listening on ${formatNetAddr(listener.addr)} (stdio, one connection)`);
  let conn: Deno.Conn;
  try {
    conn = await listener.accept();
  } catch (error) {
    throw new RuntimeError(`cannot accept: ${describeNetError(error)}`);
  } finally {
    listener.close(); // (closing a unix listener removes its file)
  }
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  if (!options.quiet) writeStderrLine(`connection from ${formatNetAddr(conn.remoteAddr)}`);
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
