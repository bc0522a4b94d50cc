/**
 * The `serve --forward --dump` renderer: what a relay moves, as text a person can read,
 * in the spirit of `socat -v` and `ncat -x`. Pure: the relay hands in records and the
 * time, the caller decides where the text goes.
 *
 * Each record starts with a header line tagged by direction (`>` client to upstream,
 * `<` upstream to client, `=` the pair itself), the connection number and a UTC
 * timestamp; data records follow it with `hexdump -C` lines, offsets counted from the
 * start of that direction's stream:
 *
 *     = #1 2025-05-01T12:00:00.000Z 127.0.0.1:53410 -> 127.0.0.1:9000 connected
 *     > #1 2025-05-01T12:00:00.001Z 6 bytes at 0
 *     00000000  68 65 6c 6c 6f 0a                                 |hello.|
 *     < #1 2025-05-01T12:00:00.002Z 6 bytes at 0
 *     00000000  68 65 6c 6c 6f 0a                                 |hello.|
 *     > #1 2025-05-01T12:00:00.003Z end of stream after 6 bytes
 */

/** Which way bytes went: `>` client to upstream, `<` upstream to client. */
export type DumpDirection = ">" | "<";

/** One thing worth dumping. */
export type DumpRecord =
  | { kind: "connected"; id: number; client: string; upstream: string }
  | { kind: "data"; id: number; direction: DumpDirection; offset: number; bytes: Uint8Array }
  | { kind: "end"; id: number; direction: DumpDirection; total: number };

/** Bytes per hex line, as in `hexdump -C`. */
const PER_LINE = 16;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Renders one record as text: its header line and, for data, its hex lines; ends with "\n". */
export function renderDump(record: DumpRecord, at: Date): string {
  const head = `#${record.id} ${at.toISOString()}`;
  switch (record.kind) {
    case "connected":
      return `= ${head} ${record.client} -> ${record.upstream} connected\n`;
    case "end":
      return `${record.direction} ${head} end of stream after ${plural(record.total)}\n`;
    case "data":
      return `${record.direction} ${head} ${plural(record.bytes.length)} at ${record.offset}\n` +
        hexLines(record.bytes, record.offset);
  }
}

function plural(n: number): string {
  return `${n} byte${n === 1 ? "" : "s"}`;
}

/**
 * `hexdump -C` lines for `bytes`, numbered from `offset`: 8 hex digits of offset, two
 * groups of 8 bytes, and the bytes as text between bars (`.` for anything but printable
 * ASCII, so no control byte reaches the terminal).
 */
export function hexLines(bytes: Uint8Array, offset: number): string {
  let out = "";
  for (let start = 0; start < bytes.length; start += PER_LINE) {
    const end = Math.min(start + PER_LINE, bytes.length);
    let hex = "";
    let text = "";
    for (let i = start; i < start + PER_LINE; i++) {
      if (i === start + PER_LINE / 2) hex += " ";
      if (i < end) {
        const byte = bytes[i];
        hex += ` ${HEX[byte]}`;
        text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".";
      } else {
        hex += "   ";
      }
    }
    out += `${(offset + start).toString(16).padStart(8, "0")} ${hex}  |${text}|\n`;
  }
  return out;
}
