/**
 * End to end: real `tcpkit bench --json` runs (short, embedded server) saved to files and
 * fed to `bench merge`, `bench compare` and `bench plot` through the real CLI, `bench
 * --svg`, and the exit codes of bad input (1 for a file's content, 2 for the command line).
 * Counts and shapes are checked, never speed.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { renderSavedResult } from "../lib/bench/result.ts";
import { LatencyHistogram } from "../lib/bench/stats.ts";
import { fakeResult } from "./bench_result_helpers.ts";
import { runCli } from "./helpers.ts";

const SHORT = ["-d", "1s", "--warmup", "0s", "-i", "250ms", "--json"];

function pathCount(svg: string): number {
  return svg.match(/<path /g)?.length ?? 0;
}

function assertSvg(svg: string, curves: number) {
  assert(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg '), svg.slice(0, 100));
  assert(svg.endsWith("</svg>\n"), svg.slice(-100));
  assertEquals(pathCount(svg), curves);
  assert(!svg.includes("<script"));
}

Deno.test("bench merge, compare and plot on real bench results", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tcpkit_artifacts_" });
  try {
    const a = `${dir}/c2.json`;
    const b = `${dir}/c4.json`;
    for (const [file, connections] of [[a, "2"], [b, "4"]]) {
      const run = await runCli(["bench", "-c", connections, ...SHORT]);
      assertEquals(run.code, 0, run.stderr);
      await Deno.writeTextFile(file, run.stdoutText);
    }
    const docs = [JSON.parse(await Deno.readTextFile(a)), JSON.parse(await Deno.readTextFile(b))];

    await t.step("merge: one result, counts and histograms added", async () => {
      const r = await runCli(["bench", "merge", a, b]);
      assertEquals([r.code, r.stderr], [0, ""]);
      const merged = JSON.parse(r.stdoutText);
      assertEquals(Object.keys(merged), ["spec", "result", "merged_from"]);
      assertEquals(merged.spec.connections, 6);
      assertEquals(merged.spec.mode, "echo");
      const [x, y] = docs.map((d) => d.result);
      assertEquals(merged.result.messages, x.messages + y.messages);
      assertEquals(merged.result.bytes_received, x.bytes_received + y.bytes_received);
      assertEquals(merged.result.errors, 0);
      const rate = Math.round((x.msgs_per_sec + y.msgs_per_sec) * 1000) / 1000;
      assertEquals(merged.result.msgs_per_sec, rate);
      assertEquals(merged.result.duration_ms, Math.min(x.duration_ms, y.duration_ms));
      const count = (encoded: string) => LatencyHistogram.decode(encoded).count;
      assertEquals(
        count(merged.result.latency_histogram_us),
        count(x.latency_histogram_us) + count(y.latency_histogram_us),
      );
      assert(merged.result.latency_us.p50 > 0);
      assertEquals(merged.merged_from.map((m: { file: string }) => m.file), [a, b]);
      // The output is a bench result again: it merges and compares like one.
      await Deno.writeTextFile(`${dir}/all.json`, r.stdoutText);
      const again = await runCli(["bench", "merge", `${dir}/all.json`, a]);
      assertEquals(again.code, 0, again.stderr);
      assertEquals(
        JSON.parse(again.stdoutText).result.messages,
        merged.result.messages + x.messages,
      );
    });

    await t.step("compare: the table and --json", async () => {
      const r = await runCli(["bench", "compare", a, b]);
      assertEquals([r.code, r.stderr], [0, ""]);
      const lines = r.stdoutText.split("\n");
      assertEquals(lines[0], "tcpkit bench compare");
      assertMatch(
        lines[1],
        /^ {2}base .*c2\.json +echo, 2 connections, 64 B messages, closed loop/,
      );
      assertMatch(lines[2], /^ {2}new {2}.*c4\.json +echo, 4 connections, 64 B messages/);
      assertMatch(lines[4], /^ +base +new +change$/);
      for (
        const [i, label] of ["msgs/s", "bytes/s", "p50", "p90", "p99", "p99.9", "max"].entries()
      ) {
        assertMatch(
          lines[5 + i],
          new RegExp(`^ {2}${label.replace(".", "\\.")} +\\S.* [+-]?\\d+\\.\\d%$`),
        );
      }
      assertMatch(lines[12], /^ {2}errors +0 +0 +0\.0%$/);
      const json = await runCli(["bench", "compare", "--json", a, b]);
      assertEquals(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdoutText);
      assertEquals([doc.base.file, doc.new.file], [a, b]);
      assertEquals(doc.metrics.msgs_per_sec.base, docs[0].result.msgs_per_sec);
      assertEquals(doc.metrics.latency_p99_us.new, docs[1].result.latency_us.p99);
      assertEquals(typeof doc.metrics.latency_p99_us.change_pct, "number");
    });

    await t.step("plot: an SVG file with one curve per result, or on stdout", async () => {
      const out = `${dir}/latency.svg`;
      const r = await runCli(["bench", "plot", a, b, `${dir}/all.json`, "-o", out]);
      assertEquals([r.code, r.stdoutText, r.stderr], [0, "", ""]);
      const svg = await Deno.readTextFile(out);
      assertSvg(svg, 3);
      for (const label of [`${dir}/c2`, `${dir}/c4`, `${dir}/all`]) assert(svg.includes(label));
      const stdout = await runCli(["bench", "plot", a, "--title", "One <run>"]);
      assertEquals(stdout.code, 0, stdout.stderr);
      assertSvg(stdout.stdoutText, 1);
      assert(stdout.stdoutText.includes(">One &lt;run&gt;</text>"));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench --svg draws the run's chart at the end", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tcpkit_svg_" });
  try {
    const out = `${dir}/run.svg`;
    const r = await runCli(["bench", "-c", "2", "-d", "500ms", "--warmup", "0s", "--svg", out]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdoutText.includes("No errors"), r.stdoutText);
    const svg = await Deno.readTextFile(out);
    assertSvg(svg, 1);
    assert(svg.includes("echo, 2 connections, 64 B messages"), "legend label");
    assert(/tcpkit bench 127\.0\.0\.1:\d+ \(embedded server\)/.test(svg), "subtitle");
    // A directory that is not there fails before the run, not after it.
    const bad = await runCli(["bench", "-d", "10s", "--svg", `${dir}/missing/run.svg`]);
    assertEquals(bad.code, 1);
    assertEquals(bad.stdoutText, "");
    assertEquals(
      bad.stderr,
      `tcpkit: cannot write --svg "${dir}/missing/run.svg": no directory "${dir}/missing"\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench merge, compare, plot: bad input is one line and its exit code", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tcpkit_bad_" });
  try {
    const good = `${dir}/good.json`;
    const stream = `${dir}/stream.json`;
    const notJson = `${dir}/notes.txt`;
    const other = `${dir}/other.json`;
    await Deno.writeTextFile(good, renderSavedResult(fakeResult()));
    await Deno.writeTextFile(
      stream,
      renderSavedResult(fakeResult({ latencies: [], spec: { mode: "stream" } })),
    );
    await Deno.writeTextFile(notJson, "hello\n");
    await Deno.writeTextFile(other, '{"spec": {}, "result": {}}\n');
    const table: [string[], number, string][] = [
      [["bench", "merge", `${dir}/nope.json`], 1, `cannot read "${dir}/nope.json": not found`],
      [["bench", "merge", dir], 1, `cannot read "${dir}": is a directory`],
      [["bench", "merge", good, notJson], 1, `"${notJson}" is not a tcpkit bench result: not JSON`],
      [["bench", "compare", good, other], 1, `"${other}" is not a tcpkit bench result: "spec.`],
      [["bench", "merge", good, stream], 1, `cannot merge "${stream}" (--mode stream) with`],
      [["bench", "compare", good, stream], 1, `cannot compare "${stream}" (--mode stream)`],
      [["bench", "plot", stream], 1, `nothing to plot in "${stream}": --mode stream measures`],
      [["bench", "plot", good, "-o", `${dir}/no/x.svg`], 1, `no directory "${dir}/no"`],
      [["bench", "merge"], 2, "bench merge: missing FILE (see 'tcpkit bench merge --help')"],
      [["bench", "compare", good], 2, "bench compare: missing NEW"],
      [["bench", "merge", good, good], 2, `"${good}" is given twice`],
      [["bench", "plot", good, "--bogus"], 2, `bench plot: unknown flag "--bogus"`],
    ];
    for (const [argv, code, message] of table) {
      const r = await runCli(argv);
      const label = argv.join(" ");
      assertEquals(r.code, code, `${label}: ${r.stderr}`);
      assertEquals(r.stdoutText, "", label);
      assert(
        r.stderr.startsWith("tcpkit: ") && r.stderr.includes(message),
        `${label}: ${r.stderr}`,
      );
      assertEquals(r.stderr.trimEnd().split("\n").length, 1, `${label}: ${r.stderr}`);
    }
    assert(!(await exists(`${dir}/no`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
