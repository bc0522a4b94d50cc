/**
 * A small DER encoder (ITU-T X.690), enough to write an X.509 certificate: each
 * function returns one complete TLV. Pure; used by cert.ts.
 */

/** One complete TLV with `tag` around `content`. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const length = content.reduce((sum, part) => sum + part.length, 0);
  const header = [tag, ...lengthBytes(length)];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const part of content) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(0x30, ...items);
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, ...items);
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
export const utf8String = (text: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(text));
export const boolean = (value: boolean): Uint8Array => tlv(0x01, Uint8Array.of(value ? 0xff : 0));

/** A BIT STRING of whole bytes, or with `unusedBits` low bits of the last byte unused. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return tlv(0x03, Uint8Array.of(unusedBits), bytes);
}

/** `[n]` EXPLICIT: a constructed context-specific tag around complete TLVs. */
export const explicit = (n: number, ...items: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...items);

/** `[n]` IMPLICIT on a primitive value (e.g. a GeneralName's dNSName or iPAddress). */
export const implicit = (n: number, bytes: Uint8Array): Uint8Array => tlv(0x80 | n, bytes);

/**
 * A non-negative INTEGER from big-endian magnitude bytes (or a small number): leading
 * zeros dropped, a zero byte added when the top bit is set, as DER requires.
 */
export function unsignedInteger(value: Uint8Array | number): Uint8Array {
  let bytes = typeof value === "number" ? numberBytes(value) : value;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Uint8Array.of(0);
  return bytes[0] & 0x80 ? tlv(0x02, Uint8Array.of(0), bytes) : tlv(0x02, bytes);
}

function numberBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a DER integer: ${n}`);
  const bytes: number[] = [];
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  return Uint8Array.from(bytes);
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. `2.5.4.3`. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new RangeError(`not an OID: ${dotted}`);
  }
  const bytes: number[] = [];
  const values = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  for (const value of values) {
    const base128: number[] = [];
    let n = value;
    do {
      base128.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < base128.length - 1; i++) base128[i] |= 0x80;
    bytes.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

/**
 * A certificate validity time: UTCTime through 2049, GeneralizedTime from 2050 on
 * (RFC 5280 §4.1.2.5), to the second, in UTC.
 */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString(); // 2025-01-02T03:04:05.678Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, ""); // 20250102030405
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`date out of range: ${iso}`);
  return year < 2050
    ? tlv(0x17, new TextEncoder().encode(`${digits.slice(2)}Z`))
    : tlv(0x18, new TextEncoder().encode(`${digits}Z`));
}
