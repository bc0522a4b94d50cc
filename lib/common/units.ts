/**
 * Durations and byte sizes as users type them (`250ms`, `10s`, `4k`, `1MiB`) and as
 * tcpkit prints them. Pure: no I/O. Size multiples are binary (k = KiB = 1024).
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

/** Formats a byte count with binary units: `512 B`, `1.5 KiB`, `3.00 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

/** Formats a duration in milliseconds: `850us`, `12.5ms`, `3.20s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}us`;
  if (ms < 1000) return `${trimFixed(ms, ms < 10 ? 2 : 1)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = String(totalS % 60).padStart(2, "0");
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m${s}s` : `${m}m${s}s`;
}

/** Formats a rate with SI prefixes (for per-second counts): `950`, `12.3k`, `1.20M`. */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return `${Math.round(n)}`;
}

function trimFixed(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)));
}
