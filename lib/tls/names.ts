/**
 * The names a certificate is for (its subjectAltName): DNS names and IP addresses, as
 * given to `serve --tls-name` and `connect --servername`. Pure: validation and the
 * byte form of IP addresses.
 */

/** One subjectAltName entry. */
export type TlsName =
  | { type: "dns"; value: string }
  | { type: "ip"; value: string; bytes: Uint8Array };

/** The names of a generated certificate before any `--tls-name`. */
export const DEFAULT_TLS_NAMES: readonly string[] = ["localhost", "127.0.0.1", "::1"];

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Parses a name; throws a RangeError naming the problem. */
export function parseTlsName(text: string): TlsName {
  const unbracketed = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const bytes = ipBytes(unbracketed);
  if (bytes !== undefined) return { type: "ip", value: formatIp(bytes), bytes };
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  const labels = name.split(".");
  const wildcard = labels[0] === "*" && labels.length > 2;
  if (
    name.length === 0 || name.length > 253 ||
    !labels.slice(wildcard ? 1 : 0).every((label) => LABEL.test(label))
  ) {
    throw new RangeError(`"${text}" is neither a DNS name nor an IP address`);
  }
  return { type: "dns", value: name.toLowerCase() };
}

/** The 4 or 16 bytes of an IPv4 or IPv6 literal, or undefined if `text` is neither. */
export function ipBytes(text: string): Uint8Array | undefined {
  return ipv4Bytes(text) ?? ipv6Bytes(text);
}

function ipv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && +p <= 255)) {
    return undefined;
  }
  return Uint8Array.from(parts, Number);
}

function ipv6Bytes(text: string): Uint8Array | undefined {
  if (!text.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const words: number[] = [];
  const all = [...head, ...tail];
  for (const [i, group] of all.entries()) {
    if (i === all.length - 1 && group.includes(".")) {
      const v4 = ipv4Bytes(group);
      if (!v4) return undefined;
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) {
      words.push(parseInt(group, 16));
    } else {
      return undefined;
    }
  }
  const headWords = words.length - (tail.length === 0 ? 0 : wordsIn(tail));
  if (halves.length === 1 ? words.length !== 8 : words.length > 7) return undefined;
  const full = halves.length === 1 ? words : [
    ...words.slice(0, headWords),
    ...Array(8 - words.length).fill(0),
    ...words.slice(headWords),
  ];
  const bytes = new Uint8Array(16);
  full.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** 16-bit words in groups (a trailing dotted IPv4 counts two). */
function wordsIn(groups: string[]): number {
  return groups.length + (groups.at(-1)?.includes(".") ? 1 : 0);
}

/** The canonical text of an IP address: dotted IPv4, or compressed lowercase IPv6. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // The longest run of two or more zero words becomes "::" (RFC 5952).
  let best = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = words.map((w) => w.toString(16));
  if (best < 0) return text.join(":");
  return `${text.slice(0, best).join(":")}::${text.slice(best + bestLength).join(":")}`;
}
