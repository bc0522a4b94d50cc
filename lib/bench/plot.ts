/**
 * The latency percentile chart of `tcpkit bench plot` and `bench --svg`, rendered as a
 * standalone SVG document (pure: histograms in, text out; no script, no external fonts or
 * styles, so any browser or image viewer shows it the same).
 *
 * It is the HdrHistogram percentile plot: latency against percentile, the percentile axis
 * on a log scale of "nines" (50%, 90%, 99%, 99.9%, 99.99%, 99.999% equally spaced, since
 * position is -log10(1 - p)), so the tail gets as much room as the median. Latency is on a
 * log scale too, labelled in µs, ms or s: one chart then shows a 50 µs median and a 20 ms
 * stall. One curve per result, in a colour-blind-safe palette (dashed past its seventh
 * colour), and a legend below the chart with each curve's label, p50, p99, p99.9, max and
 * sample count.
 */

import { formatCount, formatDurationUs } from "../common/format.ts";
import type { LatencyHistogram } from "./stats.ts";

/** One curve. */
export interface PlotSeries {
  /** Legend label: a file name or a result's label. */
  label: string;
  /** The latencies, in microseconds; must not be empty. */
  histogram: LatencyHistogram;
}

/** What the chart says around the curves. */
export interface ChartOptions {
  /** @default "Latency by percentile" */
  title?: string;
  /** A smaller line under the title, e.g. the run's settings. */
  subtitle?: string;
  /** @default 900 */
  widthPx?: number;
  /** Height of the plotting area (the legend adds below). @default 380 */
  plotHeightPx?: number;
}

/** Default chart title. */
export const DEFAULT_TITLE = "Latency by percentile";

/** The labelled percentiles, left to right; the last is the right edge of the chart. */
export const PERCENTILE_TICKS: readonly number[] = [50, 90, 99, 99.9, 99.99, 99.999];

/** Okabe–Ito colours: told apart with every common kind of colour blindness. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

/** Nines of a percentile: 90% is 1, 99% is 2, 99.9% is 3 (and 50% is log10 2). */
export function nines(percentile: number): number {
  return -Math.log10(1 - percentile / 100);
}

/** The percentile at `n` nines: the inverse of {@linkcode nines}. */
export function percentileAt(n: number): number {
  return 100 * (1 - 10 ** -n);
}

/** One point of a curve. */
export interface CurvePoint {
  percentile: number;
  us: number;
}

/**
 * The histogram's latency at percentiles from the first to the last of PERCENTILE_TICKS,
 * every `step` nines (plus both ends). Non-decreasing, as percentiles are.
 */
export function percentileCurve(histogram: LatencyHistogram, step = 0.01): CurvePoint[] {
  const from = nines(PERCENTILE_TICKS[0]);
  const to = nines(PERCENTILE_TICKS.at(-1)!);
  const points: CurvePoint[] = [];
  const count = Math.round((to - from) / step);
  for (let i = 0; i <= count; i++) {
    const percentile = i === count ? PERCENTILE_TICKS.at(-1)! : percentileAt(from + i * step);
    points.push({ percentile, us: histogram.percentile(percentile) });
  }
  return points;
}

/**
 * Ticks of a log latency axis covering `[lo, hi]` microseconds: `bounds` are the 1-2-5
 * values just outside the data; `labelled` are 1-2-5 values when the range spans at most
 * two decades, else the powers of ten and the bounds (with `minor` gridlines at the 2s
 * and 5s between).
 */
export function latencyTicks(
  lo: number,
  hi: number,
): { bounds: [number, number]; labelled: number[]; minor: number[] } {
  const low = Math.max(1, lo);
  const high = Math.max(low, hi);
  const steps = (from: number, to: number) => {
    const values: number[] = [];
    for (let e = Math.floor(Math.log10(from)) - 1; e <= Math.ceil(Math.log10(to)) + 1; e++) {
      for (const m of [1, 2, 5]) values.push(m * 10 ** e);
    }
    return values;
  };
  const all = steps(low, high);
  let bottom = Math.max(...all.filter((v) => v <= low));
  let top = Math.min(...all.filter((v) => v >= high));
  if (bottom === top) {
    // One value: widen to the 1-2-5 steps on either side (none below 1 µs, the least
    // latency a histogram holds).
    bottom = Math.max(1, ...all.filter((v) => v < low));
    top = Math.min(...all.filter((v) => v > high));
  }
  const inside = all.filter((v) => v >= bottom && v <= top);
  const decades = Math.log10(top / bottom);
  if (decades <= 2) return { bounds: [bottom, top], labelled: inside, minor: [] };
  const isPower = (v: number) => Number.isInteger(Math.round(Math.log10(v) * 1e9) / 1e9);
  const labelled = inside.filter((v) => isPower(v) || v === bottom || v === top);
  return { bounds: [bottom, top], labelled, minor: inside.filter((v) => !labelled.includes(v)) };
}

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;")
    // Control characters other than tab and newline are not allowed in XML 1.0.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "\ufffd");
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";
const LEGEND_ROW_PX = 22;
const LABEL_CHARS = 48;
/**
 * Rough widths of a character of legend text at 13 px (SVG cannot measure text; these
 * are wide enough for DejaVu Sans, the widest common fallback): bold labels, plain stats.
 */
const LABEL_CHAR_PX = 8.4;
const STATS_CHAR_PX = 7.4;

/** Renders the chart as a standalone SVG document. */
export function renderPercentileChart(
  series: readonly PlotSeries[],
  options: ChartOptions = {},
): string {
  if (series.length === 0) throw new Error("a percentile chart needs at least one curve");
  for (const s of series) {
    if (s.histogram.count === 0) throw new Error(`"${s.label}" has no latencies to plot`);
  }
  const width = options.widthPx ?? 900;
  const plotHeight = options.plotHeightPx ?? 380;
  const title = options.title ?? DEFAULT_TITLE;
  const left = 88;
  const right = width - 40;
  const top = options.subtitle ? 76 : 56;
  const bottom = top + plotHeight;
  // The legend: a swatch, the label, and each curve's figures in a column after the
  // longest label; on a second line under the label when that column would not fit.
  const legend = series.map((s) => {
    const summary = s.histogram.summary()!;
    const stats = [
      `p50 ${formatDurationUs(summary.p50)}`,
      `p99 ${formatDurationUs(summary.p99)}`,
      `p99.9 ${formatDurationUs(summary.p999)}`,
      `max ${formatDurationUs(summary.max)}`,
      `${formatCount(summary.count)} samples`,
    ].join(" · ");
    return { label: shorten(s.label), stats };
  });
  const labelX = left + 38;
  const statsX = labelX + Math.max(...legend.map((l) => [...l.label].length)) * LABEL_CHAR_PX + 16;
  const statsWidth = Math.max(...legend.map((l) => [...l.stats].length)) * STATS_CHAR_PX;
  const twoLines = statsX + statsWidth > width - 8;
  const rowPx = twoLines ? 2 * LEGEND_ROW_PX - 4 : LEGEND_ROW_PX;
  const legendTop = bottom + 72;
  const height = legendTop + series.length * rowPx + 12;

  const curves = series.map((s) => percentileCurve(s.histogram));
  const lo = Math.min(...curves.map((c) => c[0].us));
  const hi = Math.max(...curves.map((c) => c.at(-1)!.us));
  const ticks = latencyTicks(lo, hi);
  const [yLo, yHi] = ticks.bounds.map(Math.log10);
  const y = (us: number) => bottom - ((Math.log10(us) - yLo) / (yHi - yLo)) * (bottom - top);
  const xFrom = nines(PERCENTILE_TICKS[0]);
  const xTo = nines(PERCENTILE_TICKS.at(-1)!);
  const x = (percentile: number) =>
    left + ((nines(percentile) - xFrom) / (xTo - xFrom)) * (right - left);
  const px = (n: number) => n.toFixed(1);

  const out: string[] = [];
  out.push(
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}" ` +
      `font-family="${FONT}" font-size="13" fill="#222">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="32" font-size="18" font-weight="600">${escapeXml(title)}</text>`,
  );
  if (options.subtitle) {
    out.push(
      `<text x="${left}" y="54" fill="#555">${escapeXml(options.subtitle)}</text>`,
    );
  }

  // Grid and axes.
  out.push(`<g stroke="#e4e4e4" stroke-width="1">`);
  for (const v of ticks.minor) {
    out.push(
      `<line x1="${left}" x2="${right}" y1="${px(y(v))}" y2="${px(y(v))}" stroke="#f2f2f2"/>`,
    );
  }
  for (const v of ticks.labelled) {
    out.push(`<line x1="${left}" x2="${right}" y1="${px(y(v))}" y2="${px(y(v))}"/>`);
  }
  for (const p of PERCENTILE_TICKS) {
    out.push(`<line x1="${px(x(p))}" x2="${px(x(p))}" y1="${top}" y2="${bottom}"/>`);
  }
  out.push(`</g>`);
  out.push(
    `<rect x="${left}" y="${top}" width="${right - left}" height="${plotHeight}" ` +
      `fill="none" stroke="#888" stroke-width="1"/>`,
  );
  out.push(`<g font-size="12" fill="#444">`);
  for (const v of ticks.labelled) {
    out.push(
      `<text x="${left - 8}" y="${px(y(v) + 4)}" text-anchor="end">${
        escapeXml(formatDurationUs(v))
      }</text>`,
    );
  }
  for (const p of PERCENTILE_TICKS) {
    out.push(
      `<text x="${px(x(p))}" y="${bottom + 20}" text-anchor="middle">${p}%</text>`,
    );
  }
  out.push(`</g>`);
  out.push(
    `<text x="${px((left + right) / 2)}" y="${bottom + 46}" text-anchor="middle">` +
      `Percentile (log scale: one step per nine)</text>`,
    `<text transform="translate(22 ${px((top + bottom) / 2)}) rotate(-90)" ` +
      `text-anchor="middle">Round-trip latency (log scale)</text>`,
  );

  // Curves, clipped to the plotting area.
  out.push(
    `<clipPath id="plot-area"><rect x="${left}" y="${top - 2}" width="${right - left}" ` +
      `height="${plotHeight + 4}"/></clipPath>`,
    `<g clip-path="url(#plot-area)" fill="none" stroke-width="2" stroke-linejoin="round">`,
  );
  curves.forEach((curve, i) => {
    const points = curve.map((pt) => [x(pt.percentile), y(pt.us)]);
    // Keep only the corners: inner points of flat runs add bytes, not shape.
    const kept = points.filter((pt, j) =>
      j === 0 || j === points.length - 1 || pt[1] !== points[j - 1][1] ||
      pt[1] !== points[j + 1][1]
    );
    const d = kept.map((pt, j) => `${j === 0 ? "M" : "L"}${px(pt[0])} ${px(pt[1])}`).join(" ");
    out.push(`<path d="${d}" stroke="${colour(i)}"${dash(i)}/>`);
  });
  out.push(`</g>`);

  // Legend: one row per curve.
  out.push(`<g>`);
  legend.forEach(({ label, stats }, i) => {
    const rowY = legendTop + i * rowPx;
    const [x2, y2] = twoLines ? [labelX, rowY + LEGEND_ROW_PX - 4] : [statsX, rowY];
    out.push(
      `<line x1="${left}" x2="${left + 28}" y1="${rowY - 4}" y2="${rowY - 4}" ` +
        `stroke="${colour(i)}" stroke-width="3"${dash(i)}/>`,
      `<text x="${labelX}" y="${rowY}" font-weight="600">${escapeXml(label)}</text>`,
      `<text x="${px(x2)}" y="${y2}" fill="#555">${escapeXml(stats)}</text>`,
    );
  });
  out.push(`</g>`, `</svg>`, "");
  return out.join("\n");
}

function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function dash(i: number): string {
  return i < PALETTE.length ? "" : ` stroke-dasharray="7 4"`;
}

/** Long labels (deep paths) keep their end, which tells files apart. */
function shorten(label: string): string {
  return label.length <= LABEL_CHARS ? label : `…${label.slice(-(LABEL_CHARS - 1))}`;
}
