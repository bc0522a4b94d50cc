/**
 * The bytes every bench connection sends, and the check of what comes back. Each
 * connection sends a deterministic pattern (one shared pseudo-random block, read at a
 * per-connection offset), so each echoed byte is checked with a cheap word-wise compare
 * and no per-message allocation.
 */

/** The pattern repeats every PERIOD bytes; a multiple of 4 so word compares line up. */
export const PERIOD = 65_524;
/** Largest single write and read. */
export const CHUNK = 256 * 1024;

let sharedPattern: Uint8Array | undefined;

/**
 * PERIOD pseudo-random bytes, followed by CHUNK more that repeat its start, so any
 * write of up to CHUNK bytes is one subarray. Shared by every connection of a Worker.
 */
export function pattern(): Uint8Array {
  if (sharedPattern) return sharedPattern;
  const bytes = new Uint8Array(PERIOD + CHUNK);
  let x = 0x9e3779b9;
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  for (let i = PERIOD; i < bytes.length; i++) bytes[i] = bytes[i - PERIOD];
  sharedPattern = bytes;
  return bytes;
}

/** Where connection `id` starts reading the pattern, so connections' streams differ. */
export function patternOffset(id: number): number {
  return (id * 7919) % PERIOD;
}

/**
 * Index of the first byte of `got[from, from+n)` that differs from
 * `want[at, at+n)`, or -1. `from` and `at` must be equal modulo 4; `got32` and
 * `want32` are {@linkcode words} views of `got` and `want`.
 */
export function firstDifference(
  got: Uint8Array,
  from: number,
  want: Uint8Array,
  at: number,
  n: number,
  got32: Uint32Array,
  want32: Uint32Array,
): number {
  let i = 0;
  while (i < n && ((from + i) & 3) !== 0) {
    if (got[from + i] !== want[at + i]) return i;
    i++;
  }
  const count = (n - i) >> 2;
  if (count > 0) {
    const g = (from + i) >> 2;
    const w = (at + i) >> 2;
    for (let k = 0; k < count; k++) {
      if (got32[g + k] !== want32[w + k]) {
        for (let j = i + k * 4;; j++) if (got[from + j] !== want[at + j]) return j;
      }
    }
    i += count * 4;
  }
  for (; i < n; i++) if (got[from + i] !== want[at + i]) return i;
  return -1;
}

/**
 * A Uint32Array over the whole of `bytes`, which must start its buffer and have a
 * length divisible by 4.
 */
export function words(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset !== 0 || bytes.length % 4 !== 0) {
    throw new RangeError("word views need an aligned buffer of whole words");
  }
  return new Uint32Array(bytes.buffer, 0, bytes.length / 4);
}

/** `0x0a`: a byte as the mismatch reports show it. */
export function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}
