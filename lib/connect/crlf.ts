/**
 * `connect --crlf` for everything sent, as `nc -C` and `ncat -C` do: each LF becomes
 * CRLF, and a CRLF already there stays as it is (no CR is doubled), also when the CR
 * and the LF arrive in different chunks. Line protocols (SMTP, Redis inline, HTTP/1)
 * want CRLF, and shells and editors write LF.
 */

import type { ChunkReader } from "../common/pipe.ts";

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
    let out: Uint8Array | undefined; // allocated at the first bare LF
    let o = 0; // bytes in `out`
    let copied = 0; // bytes of `chunk` already in `out`
    let previousCr = this.#lastWasCr;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF && !previousCr) {
        // At most every byte is an LF: twice the chunk always fits.
        if (out === undefined) {
          if (this.#scratch.length < chunk.length * 2) {
            this.#scratch = new Uint8Array(chunk.length * 2);
          }
          out = this.#scratch;
        }
        out.set(chunk.subarray(copied, i), o);
        o += i - copied;
        out[o++] = CR;
        copied = i;
      }
      previousCr = byte === CR;
    }
    this.#lastWasCr = previousCr;
    if (out === undefined) return chunk;
    out.set(chunk.subarray(copied), o);
    return out.subarray(0, o + chunk.length - copied);
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
