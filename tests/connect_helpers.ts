/**
 * Helpers for the `connect` tests: one-shot in-process peers on 127.0.0.1:0 with a
 * scripted behaviour, a port that is known to be closed, and a python3 peer for what
 * Deno cannot do (reset a connection).
 */

import { ROOT } from "./helpers.ts";

/** A listener that runs `handle` for the first connection, then closes. */
export interface OneShotPeer {
  port: number;
  /** Resolves with whatever `handle` returned, after the conn and listener are closed. */
  done: Promise<unknown>;
}

/** Accepts one connection on 127.0.0.1:0 and runs `handle` on it. */
export function oneShotPeer<T>(handle: (conn: Deno.TcpConn) => Promise<T>): OneShotPeer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    try {
      return await handle(conn);
    } finally {
      try {
        conn.close();
      } catch {
        // handle closed it
      }
    }
  })();
  return { port: listener.addr.port, done };
}

/** Reads a conn to EOF; returns everything read. */
export async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Runs a python3 program as a peer; it prints its port on the first stdout line. */
export async function pythonPeer(source: string) {
  const child = new Deno.Command("python3", {
    args: ["-c", source],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const port = Number(text.trim().split("\n")[0]);
  return {
    port,
    async close() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await reader.cancel();
    },
  };
}

/** A python peer that accepts one connection and resets it (SO_LINGER 0) after `delay` s. */
export const RESET_PEER = `
import socket, struct, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.sendall(b"partial")
time.sleep(0.3)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
time.sleep(30)
`;

/** Waits for a child whose stdin is left open, then closes that stdin. */
export async function outputLeavingStdinOpen(child: Deno.ChildProcess) {
  const output = await child.output();
  await child.stdin.close().catch(() => {});
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** A python listener whose accept queue is full, so new connects time out (no SYN-ACK). */
export const FULL_BACKLOG_PEER = `
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(c)
time.sleep(0.2)
print(port, flush=True)
time.sleep(30)
`;
