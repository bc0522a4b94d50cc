/**
 * The receive buffers of one client Worker's echo connections: one slice each of a single
 * ArrayBuffer, with one byte view and one word view over all of it. Checking an echo
 * then touches the connection's offset and these two shared views, which every message
 * of the Worker keeps in cache, instead of two typed-array objects of its own that are
 * cold by the time its turn comes round again (50 connections of kernel and runtime work
 * lie between two turns of one connection).
 */

import { CHUNK } from "./pattern.ts";

/** Slices start on multiples of this many bytes, so word views line up with the pattern's. */
const ALIGN = 8;

export class ReceiveArena {
  readonly bytes: Uint8Array;
  /** Words over `bytes`: word `i` is bytes `4i` to `4i + 3`. */
  readonly words: Uint32Array;
  readonly #stride: number;
  #used = 0;

  /** Room for `slices` slices of `sliceBytes` bytes (plus 3, for reads at any alignment). */
  constructor(slices: number, sliceBytes: number) {
    this.#stride = Math.ceil((sliceBytes + 3) / ALIGN) * ALIGN;
    this.bytes = new Uint8Array(this.#stride * slices);
    this.words = new Uint32Array(this.bytes.buffer);
  }

  /** Byte offset in `bytes` of the next free slice (a multiple of 8). */
  take(): number {
    if (this.#used + this.#stride > this.bytes.length) {
      throw new RangeError("receive arena: every slice is taken");
    }
    const at = this.#used;
    this.#used += this.#stride;
    return at;
  }
}

/** Bytes an echo connection reads at most at once: its messages in flight, 16 KiB to CHUNK. */
export function receiveBytes(sizeBytes: number, pipeline: number): number {
  return Math.min(CHUNK, Math.max(16 * 1024, sizeBytes * pipeline));
}
