/**
 * `connect --crlf` for everything sent, as `nc -C` and `ncat -C` do: each LF becomes
 * CRLF, and a CRLF already there stays as it is (no CR is doubled), also when the CR
 * and the LF arrive in different chunks. Line protocols (SMTP, Redis inline, HTTP/1)
 * want CRLF, and shells and editors write LF.
 */

import type { ChunkReader } from "./pipe.ts";

const CR = 0x0d;
const LF = 0x0a;

/** A stateful LF → CRLF rewriter for a byte stream cut into arbitrary chunks. */
export class CrlfEncoder {
  #lastWasCr = false;
  #scratch = new Uint8Array(0);

  /**
   * The chunk with its bare LFs turned into CRLF. Returns `chunk` itself when nothing
   * changes; otherwise a view of an internal buffer, valid until the next call.
   */
  encode(chunk: Uint8Array): Uint8Array {
    const crBefore = this.#lastWasCr;
    let bare = 0;
    let previousCr = crBefore;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF && !previousCr) bare++;
      previousCr = byte === CR;
    }
    this.#lastWasCr = previousCr;
    if (bare === 0) return chunk;

    const size = chunk.length + bare;
    if (this.#scratch.length < size) this.#scratch = new Uint8Array(Math.max(size, 64 * 1024));
    const out = this.#scratch;
    let o = 0;
    let start = 0;
    previousCr = crBefore;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF && !previousCr) {
        out.set(chunk.subarray(start, i), o);
        o += i - start;
        out[o++] = CR;
        start = i;
      }
      previousCr = byte === CR;
    }
    out.set(chunk.subarray(start), o);
    o += chunk.length - start;
    return out.subarray(0, o);
  }
}

/** A {@linkcode ChunkReader} whose chunks come out of `inner` with LF turned into CRLF. */
export class CrlfReader implements ChunkReader {
  #encoder = new CrlfEncoder();

  constructor(private inner: ChunkReader) {}

  async readChunk(): Promise<Uint8Array | null> {
    const chunk = await this.inner.readChunk();
    return chunk === null ? null : this.#encoder.encode(chunk);
  }
}
