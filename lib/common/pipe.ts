/**
 * The bidirectional, binary-safe copy behind `connect` and `serve --stdio`: input →
 * socket and socket → output at the same time, with netcat's EOF rules made explicit.
 *
 * - Each direction reads into a large buffer and writes it all before reading more,
 *   so a slow reader on either side stalls the copy instead of growing memory.
 * - Input EOF shuts down the socket's write side (half-close) unless told not to, and
 *   the copy goes on until the peer closes.
 * - The peer closing first ends the copy once its bytes are written to the output,
 *   even if the input is still open, unless `keepSending` asks to send the input on.
 *
 * It uses `read`/`write` loops, not web streams: closing a conn's stream closes the
 * whole socket, which breaks half-close.
 */

import { describeNetError, isPeerGone, RuntimeError } from "./errors.ts";
import { type ByteWriter, writeAll } from "./io.ts";
import { waitSettled } from "./time.ts";
import { formatDuration } from "./format.ts";

/** Anything that reads like `Deno.stdin` or a conn. */
export interface ByteReader {
  read(buffer: Uint8Array): Promise<number | null>;
}

/**
 * A source of chunks; each returned view stays valid until the next `readChunk`
 * call, which releases it (so a reader may reuse or share its memory).
 */
export interface ChunkReader {
  readChunk(): Promise<Uint8Array | null>;
}

/** Options for {@linkcode bridge}. */
export interface BridgeOptions {
  /** On input EOF, shut down the socket's write side. @default true */
  halfClose?: boolean;
  /** When the peer closes its side first, keep sending input until its EOF. @default false */
  keepSending?: boolean;
  /** Fail when no byte moves either way for this long; undefined never does. */
  idleTimeoutMs?: number;
  /** Size of each direction's buffer. @default 262144 */
  bufferBytes?: number;
}

/** What a finished bridge moved. */
export interface BridgeResult {
  /** Bytes read from the input and written to the socket. */
  bytesSent: number;
  /** Bytes read from the socket and written to the output. */
  bytesReceived: number;
  /** Whether the input reached EOF before the bridge ended. */
  inputEnded: boolean;
}

/** Default buffer per direction: big enough for loopback speed (see DESIGN.md). */
export const BRIDGE_BUFFER_BYTES = 256 * 1024;

/**
 * Copies `input` → `conn` and `conn` → `output` until the rules above say stop.
 * Does not close `conn`; the caller does. Throws RuntimeError on a network or I/O
 * failure and rethrows `Deno.errors.BrokenPipe` from `output` (a closed stdout).
 */
export async function bridge(
  conn: Deno.Conn,
  input: ByteReader | ChunkReader,
  output: ByteWriter,
  options: BridgeOptions = {},
): Promise<BridgeResult> {
  const halfClose = options.halfClose ?? true;
  const keepSending = options.keepSending ?? false;
  const bufferBytes = options.bufferBytes ?? BRIDGE_BUFFER_BYTES;
  const result: BridgeResult = { bytesSent: 0, bytesReceived: 0, inputEnded: false };
  const activity = new ActivityWatch(options.idleTimeoutMs);
  let finished = false;
  let lastSentMs = performance.now();

  const upstream = (async () => {
    await copy(
      chunksOf(input, bufferBytes),
      conn,
      (n) => {
        result.bytesSent += n;
        lastSentMs = performance.now();
        activity.touch();
      },
      readError("stdin"),
      sendError,
    );
    result.inputEnded = true;
    if (halfClose) {
      try {
        await conn.closeWrite();
      } catch (error) {
        // The peer may already be gone (the downstream direction reports that), or the
        // bridge is over and the caller closed the conn.
        if (!isPeerGone(error) && !(error instanceof Deno.errors.BadResource)) {
          throw sendError(error);
        }
      }
    }
  })();
  const downstream = copy(
    new ReadAhead(conn, bufferBytes),
    output,
    (n) => {
      result.bytesReceived += n;
      activity.touch();
    },
    receiveError,
    writeOutputError,
  );

  // Once the bridge is over, a late failure (e.g. a pending stdin read) is moot.
  const upstreamFailure = upstream.then(() => new Promise<never>(() => {}), (error) => {
    if (finished) return new Promise<never>(() => {});
    throw error;
  });
  try {
    await Promise.race([downstream, upstreamFailure, activity.expired]);
    if (keepSending) await Promise.race([upstream, activity.expired]);
    else if (!result.inputEnded) await sendWhileInputFlows(upstream, () => lastSentMs);
    return result;
  } finally {
    finished = true;
    activity.stop();
    upstream.catch(() => {});
    downstream.catch(() => {});
  }
}

/**
 * How long input may stay silent after the peer's EOF before the bridge ends anyway.
 * The peer may only have half-closed (as `serve --stdio` does when its own stdin is
 * empty) and still be reading: ending at its EOF would cut a file upload short. An
 * input with nothing more to say (an idle terminal, `sleep | ...`) ends it after this.
 */
export const PEER_EOF_GRACE_MS = 500;

/**
 * After the peer's EOF: keep sending while the input keeps delivering. Ends at input
 * EOF, once nothing has been sent for {@linkcode PEER_EOF_GRACE_MS} (counted from the
 * last bytes sent, or from the peer's EOF if later), or when the peer refuses more data
 * (it really closed: not an error, it had its say).
 */
async function sendWhileInputFlows(upstream: Promise<void>, lastSentMs: () => number) {
  const peerEofMs = performance.now();
  while (true) {
    // The deadline moves with every send, so the wait is exactly the grace period after
    // the last one, not the end of a fixed window (which ended up to twice as late).
    const silentMs = performance.now() - Math.max(peerEofMs, lastSentMs());
    if (silentMs >= PEER_EOF_GRACE_MS) return;
    if (await waitSettled(upstream, PEER_EOF_GRACE_MS - silentMs)) return;
  }
}

/** Copies `from` → `to` until EOF, one chunk in flight (so memory stays bounded). */
async function copy(
  from: ChunkReader,
  to: ByteWriter,
  moved: (n: number) => void,
  onReadError: (error: unknown) => unknown,
  onWriteError: (error: unknown) => unknown,
): Promise<void> {
  while (true) {
    let chunk: Uint8Array | null;
    try {
      chunk = await from.readChunk();
    } catch (error) {
      throw onReadError(error);
    }
    if (chunk === null) return;
    try {
      await writeAll(to, chunk);
    } catch (error) {
      throw onWriteError(error);
    }
    moved(chunk.length);
  }
}

/** `input` as chunks: itself if it already reads in chunks, else through a {@linkcode ReadAhead}. */
export function chunksOf(input: ByteReader | ChunkReader, bufferBytes: number): ChunkReader {
  return "readChunk" in input ? input : new ReadAhead(input, bufferBytes);
}

/**
 * Turns a reader into chunks with two buffers: the next read runs while the caller
 * writes the current chunk, so reading and writing overlap.
 */
export class ReadAhead implements ChunkReader {
  #buffers: [Uint8Array, Uint8Array];
  #index = 0;
  #pending: Promise<number | null> | undefined;

  constructor(private reader: ByteReader, bufferBytes: number) {
    this.#buffers = [new Uint8Array(bufferBytes), new Uint8Array(bufferBytes)];
  }

  async readChunk(): Promise<Uint8Array | null> {
    this.#pending ??= this.#read(this.#index);
    const n = await this.#pending;
    if (n === null) {
      this.#pending = Promise.resolve(null);
      return null;
    }
    const buffer = this.#buffers[this.#index];
    this.#index ^= 1;
    // The other buffer held the previous chunk, which this call releases.
    this.#pending = this.#read(this.#index);
    return n === buffer.length ? buffer : buffer.subarray(0, n);
  }

  #read(index: number): Promise<number | null> {
    const pending = this.reader.read(this.#buffers[index]);
    pending.catch(() => {}); // surfaced by the next readChunk
    return pending;
  }
}

function readError(what: string) {
  return (error: unknown) => new RuntimeError(`cannot read ${what}: ${describeNetError(error)}`);
}

function sendError(error: unknown): RuntimeError {
  if (isPeerGone(error)) {
    return new RuntimeError("connection reset by peer while sending");
  }
  return new RuntimeError(`cannot send: ${describeNetError(error)}`);
}

function receiveError(error: unknown): RuntimeError {
  return new RuntimeError(`cannot receive: ${describeNetError(error)}`);
}

function writeOutputError(error: unknown): unknown {
  // A closed stdout ends the command quietly (main.ts maps it to exit 0).
  if (error instanceof Deno.errors.BrokenPipe) return error;
  return new RuntimeError(`cannot write to stdout: ${describeNetError(error)}`);
}

/** Rejects `expired` once nothing has moved for `timeoutMs` (never when undefined). */
export class ActivityWatch {
  expired: Promise<never>;
  #last = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private timeoutMs: number | undefined) {
    this.expired = new Promise<never>((_, reject) => {
      if (timeoutMs === undefined) return;
      const check = () => {
        const idleMs = performance.now() - this.#last;
        if (idleMs >= timeoutMs) {
          reject(
            new RuntimeError(
              `no data either way for ${formatDuration(timeoutMs)} (--idle-timeout)`,
            ),
          );
          this.#timer = undefined;
          return;
        }
        this.#timer = setTimeout(check, timeoutMs - idleMs);
      };
      this.#timer = setTimeout(check, timeoutMs);
    });
    this.expired.catch(() => {});
  }

  touch() {
    this.#last = performance.now();
  }

  stop() {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
