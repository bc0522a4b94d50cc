/**
 * How tcpkit shows things to people: the one formatter for every quantity in human
 * output (serve logs, `connect -v`, `serve --stdio`, bench progress and report, error
 * messages), column alignment by terminal width, and whether a stream gets colour.
 * Pure, except `colorFor`, which reads the stream's terminal state and the environment.
 * JSON output never goes through here: its field names carry fixed units.
 *
 * The scheme, the same for every command:
 *
 * - Numbers have three significant digits, trailing zeros dropped (`1.5`, `12.3`,
 *   `123`), and a space before their unit. A duration or count that rounds up to the
 *   next unit moves there (999.7 ms is `1 s`, 999.6 is `1k`).
 * - Bytes have binary units, from `@std/fmt/bytes`: `1.5 KiB`, `293 KiB`, `1 MiB`,
 *   `3 GiB` (like @std, a value just under the next unit keeps four digits: `1020 KiB`).
 *   Below 1 KiB whole bytes are exact (`64 B`, `1023 B`); fractions, from rates, keep
 *   three significant digits under 100 B (`12.3 B/s`) and are rounded above.
 * - Byte rates are bytes per second: `6.1 MiB/s`, `1.2 GiB/s`.
 * - Other rates are counts per second with an SI prefix on the number: `950 msgs/s`,
 *   `12.3k msgs/s`, `1.2M msgs/s`.
 * - Durations: `0 s`, `850 µs`, `2.6 ms`, `12.5 ms`, `3.2 s`, `10 s`; from one minute
 *   on, whole seconds in `@std/fmt/duration`'s narrow style: `1m`, `1m 5s`, `1h 2m 5s`.
 * - Byte totals of one transfer (`connect -v`, `serve --stdio`) keep the exact count:
 *   `6 bytes`, `1048576 bytes (1 MiB)`.
 * - Shares of a whole have one decimal: `95.0%`.
 *
 * Colour comes from `@std/fmt/colors`, only for a terminal and never when `NO_COLOR`
 * is set; `FORCE_COLOR` turns it on for CI logs that render it.
 */

import { format as formatBytesStd } from "@std/fmt/bytes";
import { format as formatDurationStd } from "@std/fmt/duration";
import { bold, cyan, dim, green, red, stripAnsiCode, yellow } from "@std/fmt/colors";
import { unicodeWidth } from "@std/cli/unicode-width";

/** Rounds to three significant digits and prints without trailing zeros. */
function sig3(n: number): string {
  return String(Number(n.toPrecision(3)));
}

/** A byte count with binary units: `0 B`, `1023 B`, `1.5 KiB`, `12.2 MiB`, `3 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "-";
  const abs = Math.abs(bytes);
  // @std rounds 1023 B to "1020 B": whole bytes stay exact below 1 KiB.
  if (abs < 1024) return `${abs >= 100 ? Math.round(bytes) : sig3(bytes)} B`;
  // @std spells the first binary prefix "kiB"; IEC (and parseSize's help) say "KiB".
  return formatBytesStd(bytes, { binary: true }).replace(" kiB", " KiB");
}

/** Bytes per second: `6.1 MiB/s`. */
export function formatByteRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** A byte total of one transfer, exact and scaled: `6 bytes`, `1048576 bytes (1 MiB)`. */
export function formatByteTotal(bytes: number): string {
  const exact = `${bytes} byte${bytes === 1 ? "" : "s"}`;
  return Math.abs(bytes) < 1024 ? exact : `${exact} (${formatBytes(bytes)})`;
}

const SI_PREFIXES = ["", "k", "M", "G", "T"];

/** A count (usually per second) with an SI prefix: `950`, `12.3k`, `1.2M`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "-";
  if (n < 0) return `-${formatCount(-n)}`;
  let step = 0;
  while (step < SI_PREFIXES.length - 1 && n >= 1000 ** (step + 1)) step++;
  let value = Number((n / 1000 ** step).toPrecision(3));
  if (value >= 1000 && step < SI_PREFIXES.length - 1) {
    step++;
    value = Number((n / 1000 ** step).toPrecision(3));
  }
  return `${value}${SI_PREFIXES[step]}`;
}

/** A count per second with its unit: `123k msgs/s`. */
export function formatRate(perSec: number, unit: string): string {
  return `${formatCount(perSec)} ${unit}/s`;
}

/** Units below a minute, in milliseconds. */
const SHORT_UNITS: [number, string][] = [[0.001, "µs"], [1, "ms"], [1000, "s"]];

/** A duration given in milliseconds: `850 µs`, `2.6 ms`, `3.2 s`, `1m 5s`, `1h 2m 5s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return "0 s";
  let step = 0;
  while (step < SHORT_UNITS.length - 1 && ms >= SHORT_UNITS[step + 1][0]) step++;
  let value = Number((ms / SHORT_UNITS[step][0]).toPrecision(3));
  if (value >= 1000 && step < SHORT_UNITS.length - 1) {
    step++;
    value = Number((ms / SHORT_UNITS[step][0]).toPrecision(3));
  }
  if (step === SHORT_UNITS.length - 1 && value >= 60) {
    return formatDurationStd(Math.round(ms / 1000) * 1000, { ignoreZero: true });
  }
  return `${value} ${SHORT_UNITS[step][1]}`;
}

/** A duration given in microseconds (latencies): `85 µs`, `1.25 ms`. */
export function formatDurationUs(us: number): string {
  return formatDuration(us / 1000);
}

/** A share of a whole (0 to 1) as a percentage with one decimal: `95.0%`. */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : "-";
}

/** What one transfer moved: `sent 6 bytes, received 1048576 bytes (1 MiB) in 520 ms`. */
export function formatTransfer(
  bytesSent: number,
  bytesReceived: number,
  durationMs: number,
): string {
  return `sent ${formatByteTotal(bytesSent)}, received ${formatByteTotal(bytesReceived)} ` +
    `in ${formatDuration(durationMs)}`;
}

/** Columns a text takes on a terminal: wide characters count 2, colour codes 0. */
export function textWidth(text: string): number {
  return unicodeWidth(stripAnsiCode(text));
}

/** Pads on the left to `width` terminal columns (right-aligns). */
export function padStartWidth(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - textWidth(text))) + text;
}

/** Pads on the right to `width` terminal columns (left-aligns). */
export function padEndWidth(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - textWidth(text)));
}

/** How to lay out one column of `alignColumns`. */
export interface Column {
  /** Which side the cells line up on. */
  align: "left" | "right";
  /** Narrowest width in terminal columns. @default 0 */
  minWidth?: number;
}

/**
 * Lays out rows of cells as aligned columns separated by one space, measuring cells
 * by terminal width. Lines carry no trailing spaces.
 */
export function alignColumns(rows: string[][], columns: Column[]): string[] {
  const widths = columns.map((column, i) =>
    Math.max(column.minWidth ?? 0, ...rows.map((row) => textWidth(row[i] ?? "")))
  );
  return rows.map((row) =>
    columns.map((column, i) => {
      const cell = row[i] ?? "";
      if (column.align === "right") return padStartWidth(cell, widths[i]);
      return i === columns.length - 1 ? cell : padEndWidth(cell, widths[i]);
    }).join(" ").trimEnd()
  );
}

/** What decides whether one output stream gets colour. */
export interface ColorContext {
  /** The stream is a terminal (`Deno.stdout.isTerminal()`). */
  isTerminal: boolean;
  /** Value of `NO_COLOR`, or undefined when unset. */
  noColor?: string;
  /** Value of `FORCE_COLOR`, or undefined when unset. */
  forceColor?: string;
}

/**
 * NO_COLOR set and non-empty: off (https://no-color.org). FORCE_COLOR "0" or "false":
 * off; any other value (even empty): on. Otherwise on only for a terminal.
 */
export function useColor({ isTerminal, noColor, forceColor }: ColorContext): boolean {
  if (noColor !== undefined && noColor !== "") return false;
  if (forceColor !== undefined) return forceColor !== "0" && forceColor !== "false";
  return isTerminal;
}

/** A text style: wraps its argument in escape codes, or returns it unchanged. */
export type Style = (text: string) => string;

/** The styles tcpkit uses, for one output stream. */
export interface Styles {
  bold: Style;
  dim: Style;
  red: Style;
  green: Style;
  yellow: Style;
  cyan: Style;
}

const same: Style = (text) => text;
const COLORED: Styles = { bold, dim, red, green, yellow, cyan };
const UNCOLORED: Styles = {
  bold: same,
  dim: same,
  red: same,
  green: same,
  yellow: same,
  cyan: same,
};

/**
 * `@std/fmt/colors` styles when `enabled`, the identity otherwise. (`@std/fmt/colors`
 * itself also stays plain whenever NO_COLOR is set.)
 */
export function styles(enabled: boolean): Styles {
  return enabled ? COLORED : UNCOLORED;
}

/** The styles for one output stream, from its terminal state and the environment. */
export function colorFor(stream: { isTerminal(): boolean }): Styles {
  return styles(useColor({
    isTerminal: stream.isTerminal(),
    noColor: Deno.env.get("NO_COLOR"),
    forceColor: Deno.env.get("FORCE_COLOR"),
  }));
}
