/**
 * Fast stdin for pipe mode. Async reads of a stdin pipe cost a thread hop each and
 * return at most a pipe's worth (64 KiB), which held 1 GiB pipes to ~0.75x of nc.
 * Here a Worker reads stdin with blocking reads into a shared ring buffer and the
 * main thread sends straight from the ring, as much as has arrived per write.
 *
 * The Worker's code is inlined as a blob module, so `deno compile` needs no
 * `--include` for it and it inherits the command's permissions.
 */

import type { ChunkReader } from "./pipe.ts";

/** Ring size: bounds the memory stdin can take ahead of the socket. */
export const STDIN_RING_BYTES = 1024 * 1024;

// Control words (Int32): bytes in the ring, a state flag (0 while running), a change counter.
const FILL = 0;
const STATE = 1;
/** Bumped on every change, so the main thread never misses a wake-up. */
const SEQ = 2;
const ENDED = 1;
const FAILED = 2;

const WORKER_SOURCE = `
const { ring: ringBuffer, control: controlBuffer } =
  await new Promise((resolve) => (self.onmessage = (e) => resolve(e.data)));
const ring = new Uint8Array(ringBuffer);
const control = new Int32Array(controlBuffer);
const size = ring.length;
let position = 0;
try {
  while (true) {
    let fill = Atomics.load(control, ${FILL});
    while (fill === size) {
      Atomics.wait(control, ${FILL}, size);
      fill = Atomics.load(control, ${FILL});
    }
    const space = Math.min(size - fill, size - position);
    const n = Deno.stdin.readSync(ring.subarray(position, position + space));
    if (n === null) {
      Atomics.store(control, ${STATE}, ${ENDED});
      Atomics.add(control, ${SEQ}, 1);
      Atomics.notify(control, ${SEQ});
      break;
    }
    position = (position + n) % size;
    Atomics.add(control, ${FILL}, n);
    Atomics.add(control, ${SEQ}, 1);
    Atomics.notify(control, ${SEQ});
  }
} catch (error) {
  self.postMessage(String(error && error.message || error));
  Atomics.store(control, ${STATE}, ${FAILED});
  Atomics.add(control, ${SEQ}, 1);
  Atomics.notify(control, ${SEQ});
}
`;

/**
 * Reads stdin through a Worker. Each chunk is a view into the shared ring, valid
 * until the next `readChunk` call, which releases it.
 */
export class StdinRingReader implements ChunkReader {
  #ring = new Uint8Array(new SharedArrayBuffer(STDIN_RING_BYTES));
  #control = new Int32Array(new SharedArrayBuffer(16));
  #worker: Worker;
  #position = 0;
  #lent = 0;
  #failure: Promise<string>;

  constructor() {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    this.#worker = new Worker(url, { type: "module" });
    URL.revokeObjectURL(url);
    this.#failure = new Promise((resolve) => {
      this.#worker.onmessage = (event) => resolve(String(event.data));
    });
    this.#worker.postMessage({ ring: this.#ring.buffer, control: this.#control.buffer });
  }

  async readChunk(): Promise<Uint8Array | null> {
    if (this.#lent > 0) {
      this.#position = (this.#position + this.#lent) % this.#ring.length;
      Atomics.sub(this.#control, FILL, this.#lent);
      Atomics.notify(this.#control, FILL);
      this.#lent = 0;
    }
    while (true) {
      const seq = Atomics.load(this.#control, SEQ);
      const fill = Atomics.load(this.#control, FILL);
      if (fill > 0) {
        const n = Math.min(fill, this.#ring.length - this.#position);
        this.#lent = n;
        return this.#ring.subarray(this.#position, this.#position + n);
      }
      const state = Atomics.load(this.#control, STATE);
      if (state === ENDED) return null;
      if (state === FAILED) throw new Error(await this.#failure);
      const wait = Atomics.waitAsync(this.#control, SEQ, seq);
      if (wait.async) await wait.value;
    }
  }

  /** Stops the Worker (a blocked read ends with the process). */
  close() {
    this.#worker.terminate();
  }
}
