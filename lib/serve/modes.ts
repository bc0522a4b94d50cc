/**
 * What the server does with one accepted connection: echo, discard or source. Each
 * loop reads and writes with large, adaptive buffers (not web streams, which are
 * slower and break half-close) and reports the bytes it moved.
 */

import { writeAll } from "../common/io.ts";

/** Per-connection state shared with the server's idle sweeper. */
export interface ConnState {
  bytesIn: number;
  bytesOut: number;
  /** The sweeper's tick at the last read or write; stale means idle. */
  lastTick: number;
}

/** Where loops read the sweeper's current tick. */
export interface TickClock {
  tick: number;
}

/** Smallest read buffer: what an idle connection costs. */
export const MIN_BUFFER = 1024;
/** Largest read buffer, reached by connections whose reads keep filling the buffer. */
export const MAX_BUFFER = 256 * 1024;
const SOURCE_CHUNK = 256 * 1024;

/**
 * Next buffer size after a read of `n` bytes into `size`: grow 4x when full, shrink 4x
 * when the read used under 1/16 of it, so idle and chatty connections stay small.
 */
export function nextBufferSize(size: number, n: number): number {
  if (n === size && size < MAX_BUFFER) return Math.min(size * 4, MAX_BUFFER);
  if (n < size / 16 && size > MIN_BUFFER) return Math.max(size / 4, MIN_BUFFER);
  return size;
}

/** Writes back every byte read. On the client's EOF, everything read has been written. */
export async function echoLoop(conn: Deno.Conn, state: ConnState, clock: TickClock) {
  let buf = new Uint8Array(MIN_BUFFER);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    state.bytesIn += n;
    state.lastTick = clock.tick;
    await writeAll(conn, n === buf.length ? buf : buf.subarray(0, n));
    state.bytesOut += n;
    state.lastTick = clock.tick;
    const size = nextBufferSize(buf.length, n);
    if (size !== buf.length) buf = new Uint8Array(size);
  }
}

/** Reads and drops until the client's EOF. */
export async function discardLoop(conn: Deno.Conn, state: ConnState, clock: TickClock) {
  let buf = new Uint8Array(MIN_BUFFER);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    state.bytesIn += n;
    state.lastTick = clock.tick;
    const size = nextBufferSize(buf.length, n);
    if (size !== buf.length) buf = new Uint8Array(size);
  }
}

/** One shared, read-only pattern for every source connection: bytes 0..255 repeating. */
let sourceChunk: Uint8Array | undefined;

/**
 * Writes a continuous byte stream until the client goes (its writes fail). Input is
 * read and dropped meanwhile; the client's EOF alone does not stop the stream, so
 * `tcpkit connect :PORT < /dev/null | head -c 1M` works.
 */
export async function sourceLoop(conn: Deno.Conn, state: ConnState, clock: TickClock) {
  sourceChunk ??= Uint8Array.from({ length: SOURCE_CHUNK }, (_, i) => i & 0xff);
  const chunk = sourceChunk;
  // Input is drained in the background; it ends with an error once the conn closes.
  discardLoop(conn, state, clock).catch(() => {});
  while (true) {
    await writeAll(conn, chunk);
    state.bytesOut += chunk.length;
    state.lastTick = clock.tick;
  }
}
