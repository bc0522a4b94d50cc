/**
 * The percentile chart (lib/bench/plot.ts): a well-formed standalone SVG with no script,
 * one monotone curve and one legend row per result, the nines axis and readable latency
 * ticks. The XML is checked by a small strict reader below (no browser in tests).
 */

import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  escapeXml,
  latencyTicks,
  nines,
  PERCENTILE_TICKS,
  percentileAt,
  percentileCurve,
  renderPercentileChart,
} from "../lib/bench/plot.ts";
import { LatencyHistogram } from "../lib/bench/stats.ts";
import { formatDurationUs } from "../lib/common/format.ts";
import { histogramOf, latencySample } from "./bench_result_helpers.ts";

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * Parses `xml` strictly enough to catch what a browser would refuse: unbalanced or
 * crossed tags, unquoted or repeated attributes, a raw `<` or `&` in text or attribute
 * values, unknown entities, more than one root. Returns the root element.
 */
function parseXml(xml: string): XmlElement {
  const token =
    /<\?xml[^?]*\?>|<!--[\s\S]*?-->|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z][\w:.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack = [root];
  let at = 0;
  while (at < xml.length) {
    token.lastIndex = at;
    const m = token.exec(xml);
    if (!m) throw new Error(`not well-formed at ${at}: ${JSON.stringify(xml.slice(at, at + 40))}`);
    at = token.lastIndex;
    const [, end, start, attrs, selfClosing, text] = m;
    const top = stack.at(-1)!;
    if (text !== undefined) {
      if (entity.test(text)) throw new Error(`bad entity in text ${JSON.stringify(text)}`);
      if (top === root && text.trim() !== "") throw new Error("text outside the root");
      top.text += text;
    } else if (end !== undefined) {
      if (top.name !== end) throw new Error(`</${end}> closes <${top.name}>`);
      stack.pop();
    } else if (start !== undefined) {
      const attributes: Record<string, string> = {};
      for (const a of attrs.matchAll(/([A-Za-z][\w:.-]*)\s*=\s*"([^"]*)"/g)) {
        if (a[1] in attributes) throw new Error(`<${start}> repeats ${a[1]}`);
        if (entity.test(a[2])) throw new Error(`bad entity in ${a[1]}="${a[2]}"`);
        attributes[a[1]] = a[2];
      }
      const element: XmlElement = { name: start, attributes, children: [], text: "" };
      if (top === root && root.children.length > 0) throw new Error("a second root element");
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  return root.children[0];
}

function all(element: XmlElement, name: string): XmlElement[] {
  return [
    ...(element.name === name ? [element] : []),
    ...element.children.flatMap((c) => all(c, name)),
  ];
}

function textOf(element: XmlElement): string {
  return element.text + element.children.map(textOf).join("");
}

function unescape(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'").replaceAll("&amp;", "&");
}

/** The points of an SVG path made of M and L commands. */
function pathPoints(d: string): [number, number][] {
  return [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

const FAST = histogramOf(latencySample(20_000, 80, 1));
const SLOW = histogramOf(latencySample(5_000, 900, 2));

Deno.test("plot: the XML reader used here refuses what is not well-formed", () => {
  for (
    const bad of [
      "<a><b></a></b>",
      "<a>",
      "<a x=1/>",
      '<a x="1" x="2"/>',
      "<a>1 < 2</a>",
      "<a>fish & chips</a>",
      '<a t="&nbsp;"/>',
      "<a/><b/>",
    ]
  ) {
    assertThrows(() => parseXml(bad), Error, undefined, bad);
  }
  assertEquals(parseXml('<a x="&amp;">&lt;b&gt;<c/></a>').children[0].name, "c");
});

Deno.test("plot: a well-formed standalone SVG with no script", () => {
  const svg = renderPercentileChart([
    { label: "fast", histogram: FAST },
    { label: "slow", histogram: SLOW },
  ]);
  assert(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg '), svg.slice(0, 80));
  const root = parseXml(svg);
  assertEquals(root.name, "svg");
  assertEquals(root.attributes.xmlns, "http://www.w3.org/2000/svg");
  assert(/^0 0 \d+ \d+$/.test(root.attributes.viewBox), root.attributes.viewBox);
  assertEquals(all(root, "script"), []);
  assert(!/\son[a-z]+=|href=|@import|url\((?!#)/i.test(svg), "no script, link or external url");
  assertEquals(textOf(all(root, "title")[0]), "Latency by percentile");
});

Deno.test("plot: one monotone curve per result, left to right and up", () => {
  const svg = renderPercentileChart([
    { label: "fast", histogram: FAST },
    { label: "slow", histogram: SLOW },
  ]);
  const paths = all(parseXml(svg), "path");
  assertEquals(paths.length, 2);
  assertEquals(new Set(paths.map((p) => p.attributes.stroke)).size, 2, "one colour each");
  const box = all(parseXml(svg), "rect").find((r) => r.attributes.fill === "none")!.attributes;
  const [left, top] = [Number(box.x), Number(box.y)];
  const [right, bottom] = [left + Number(box.width), top + Number(box.height)];
  for (const path of paths) {
    const points = pathPoints(path.attributes.d);
    assert(points.length > 20, `${points.length} points`);
    assertAlmostEquals(points[0][0], left, 0.11); // starts at 50%
    assertAlmostEquals(points.at(-1)![0], right, 0.11); // ends at 99.999%
    for (let i = 1; i < points.length; i++) {
      assert(points[i][0] > points[i - 1][0], `x goes right at point ${i}`);
      // SVG y grows downwards: a higher latency is a smaller y.
      assert(points[i][1] <= points[i - 1][1], `latency never falls at point ${i}`);
    }
    for (const [, y] of points) assert(y >= top && y <= bottom, `${y} inside ${top}-${bottom}`);
  }
  // The slow run's curve lies above the fast one's at the median.
  const [fast, slow] = paths.map((p) => pathPoints(p.attributes.d)[0][1]);
  assert(slow < fast);
});

Deno.test("plot: legend, axis labels and ticks are there, in readable units", () => {
  const svg = renderPercentileChart([
    { label: "c4.json", histogram: FAST },
    { label: 'a<b> & "c"', histogram: SLOW },
  ], { title: "Before & after", subtitle: "tcpkit bench 127.0.0.1:7000" });
  const root = parseXml(svg);
  const texts = all(root, "text").map((t) => unescape(textOf(t)));
  assertEquals(texts[0], "Before & after");
  assertEquals(texts[1], "tcpkit bench 127.0.0.1:7000");
  for (const p of PERCENTILE_TICKS) assert(texts.includes(`${p}%`), `${p}%`);
  assert(texts.some((t) => t.startsWith("Percentile")), "x axis label");
  assert(texts.some((t) => t.includes("latency")), "y axis label");
  const yTicks = texts.filter((t) => /^\d+(\.\d+)? (µs|ms|s)$/.test(t));
  assert(yTicks.length >= 3, `y ticks: ${yTicks}`);
  assert(yTicks.some((t) => t.endsWith("µs")) && yTicks.some((t) => t.endsWith("ms")), `${yTicks}`);
  const legend = texts.filter((t) => t.includes(" samples"));
  assertEquals(legend.length, 2);
  assert(texts.includes("c4.json") && texts.includes('a<b> & "c"'), `${texts}`);
  const summary = FAST.summary()!;
  assert(legend[0].includes(`p99 ${formatDurationUs(summary.p99)} ·`), legend[0]);
  assert(legend[0].includes("20k samples"), legend[0]);
});

Deno.test("plot: the legend's figures line up after the labels, or go under long ones", () => {
  const legendTexts = (labels: string[]) => {
    const svg = renderPercentileChart(labels.map((label) => ({ label, histogram: FAST })));
    const texts = all(parseXml(svg), "text");
    const at = (t: XmlElement) => [Number(t.attributes.x), Number(t.attributes.y)];
    return labels.map((label) => {
      const i = texts.findIndex((t) => unescape(textOf(t)) === label);
      return { label: at(texts[i]), stats: at(texts[i + 1]) };
    });
  };
  const short = legendTexts(["a.json", "longer-name.json"]);
  assertEquals(short[0].stats[0], short[1].stats[0], "one column");
  assert(short[0].stats[0] > short[1].label[0] + 8 * "longer-name.json".length);
  assertEquals(short.map((r) => r.stats[1]), short.map((r) => r.label[1]), "same line");
  const long = legendTexts(["results/2024-06-01/server-a/c50.json", "b.json"]);
  for (const row of long) {
    assertEquals(row.stats[0], row.label[0], "under the label");
    assert(row.stats[1] > row.label[1], "on the next line");
  }
});

Deno.test("plot: more curves than colours are told apart by dashes", () => {
  const series = Array.from({ length: 9 }, (_, i) => ({
    label: `run ${i}`,
    histogram: histogramOf(latencySample(200, 50 + 10 * i, i)),
  }));
  const paths = all(parseXml(renderPercentileChart(series)), "path");
  assertEquals(paths.length, 9);
  const looks = paths.map((p) => `${p.attributes.stroke} ${p.attributes["stroke-dasharray"]}`);
  assertEquals(new Set(looks).size, 9);
});

Deno.test("plot: one value, and refusals", () => {
  const one = new LatencyHistogram();
  one.recordMany(250, 1000);
  const paths = all(parseXml(renderPercentileChart([{ label: "flat", histogram: one }])), "path");
  const ys = pathPoints(paths[0].attributes.d).map(([, y]) => y);
  assertEquals(new Set(ys).size, 1, "a flat line");
  assertThrows(() => renderPercentileChart([]), Error, "at least one curve");
  assertThrows(
    () => renderPercentileChart([{ label: "empty", histogram: new LatencyHistogram() }]),
    Error,
    '"empty" has no latencies',
  );
});

Deno.test("plot: the nines scale and the percentile curve", () => {
  assertAlmostEquals(nines(50), Math.log10(2), 1e-12);
  for (const [p, n] of [[90, 1], [99, 2], [99.9, 3], [99.99, 4], [99.999, 5]]) {
    assertAlmostEquals(nines(p), n, 1e-9);
    assertAlmostEquals(percentileAt(n), p, 1e-9);
  }
  const curve = percentileCurve(SLOW);
  assertEquals(curve[0].percentile, 50);
  assertEquals(curve.at(-1)!.percentile, 99.999);
  assertEquals(curve[0].us, SLOW.percentile(50));
  assertEquals(curve.at(-1)!.us, SLOW.percentile(99.999));
  for (let i = 1; i < curve.length; i++) {
    assert(curve[i].percentile > curve[i - 1].percentile);
    assert(curve[i].us >= curve[i - 1].us);
  }
});

Deno.test("plot: latency axis ticks", () => {
  const table: [number, number, [number, number], number[]][] = [
    [80, 400, [50, 500], [50, 100, 200, 500]],
    [79, 8575, [50, 10_000], [50, 100, 1000, 10_000]],
    [100, 100, [50, 200], [50, 100, 200]],
    [1, 1, [1, 2], [1, 2]],
    [40, 60, [20, 100], [20, 50, 100]],
  ];
  for (const [lo, hi, bounds, labelled] of table) {
    const ticks = latencyTicks(lo, hi);
    assertEquals([ticks.bounds, ticks.labelled], [bounds, labelled], `${lo}-${hi}`);
    assert(ticks.bounds[0] <= lo && ticks.bounds[1] >= hi);
  }
  assertEquals(latencyTicks(79, 8575).minor, [200, 500, 2000, 5000]);
});

Deno.test("plot: XML escaping", () => {
  assertEquals(
    escapeXml(`<a href="x">&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;",
  );
  assertEquals(escapeXml("bell\u0007"), "bell\ufffd");
  assertEquals(escapeXml("tab\tok"), "tab\tok");
});
