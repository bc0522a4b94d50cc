/**
 * Durations, byte sizes and counts as users type them (`250ms`, `10s`, `4k`, `1MiB`,
 * `50`). Pure: no I/O. Size multiples are binary (k = KiB = 1024). How tcpkit prints
 * quantities is format.ts.
 */

const DURATION_UNITS_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * Parses a duration such as `250ms`, `1.5s`, `2m` or `1h` into milliseconds.
 * A unit is required (a bare number is ambiguous). Throws on anything else.
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) {
    throw new RangeError(`"${text}" is not a duration (use e.g. 250ms, 10s, 2m, 1h)`);
  }
  const ms = Number(match[1]) * DURATION_UNITS_MS[match[2]];
  if (!Number.isFinite(ms) || ms > 365 * 24 * 3_600_000) {
    throw new RangeError(`duration "${text}" is too large`);
  }
  return ms;
}

/**
 * Parses a byte size such as `64`, `4k`, `16KiB`, `1MiB` or `1m` into bytes
 * (binary multiples). Returns an integer; fractional bytes are rejected.
 */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const factor = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new RangeError(`"${text}" is not a size (use e.g. 64, 4k, 16KiB, 1MiB)`);
  }
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(`size "${text}" is not a whole number of bytes or is too large`);
  }
  return bytes;
}

/** Parses a plain non-negative decimal integer (no sign, no exponent, no unit). */
export function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new RangeError(`"${text}" is not a whole number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`"${text}" is too large`);
  return n;
}
