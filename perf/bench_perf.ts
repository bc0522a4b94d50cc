/**
 * `deno task perf:bench`: compares `tcpkit bench` with the reference tools on 127.0.0.1,
 * in the same run on the same machine, and prints ratios (figures for BENCHMARKS.md):
 *
 * - echo, 64 B and 16 KiB: `tcpkit bench -c 50` vs the reference C client `echo_bench`,
 *   both against the reference C `echo_server` (a fresh one per measurement);
 * - stream: `tcpkit bench --mode stream -c 1` into the reference discard server vs
 *   `iperf3 -c` (one stream, 128 KiB writes, both defaults).
 *
 * Rounds alternate the tools so that machine noise hits both; the ratio of medians is
 * reported. Bounded: about ROUNDS x 6 x SECONDS seconds.
 */

import { sleep } from "../lib/common/time.ts";
import { cliCommand } from "../tests/helpers.ts";
import { freePort, machine, median, referenceTools, run, withServer } from "./perf_common.ts";

const SECONDS = Number(Deno.env.get("PERF_SECONDS") ?? 3);
const ROUNDS = Number(Deno.env.get("PERF_ROUNDS") ?? 3);
/** The `tcpkit` task's exact command line (flags and permissions), for `bench ARGS --json`. */
const cli = cliCommand();

async function tcpkitBench(args: string[]) {
  // Progress lines stay out of the way; errors show in the JSON result.
  const out = await run(cli.command, [...cli.args, "bench", ...args, "--json"], "null");
  return JSON.parse(out).result;
}

async function echoComparison(ref: string, size: number) {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const c = await withServer(ref, async (port) => {
      const out = await run(`${ref}/echo_bench`, [
        String(port),
        "50",
        String(size),
        String(SECONDS),
      ]);
      return Number(/msgs\/s (\d+)/.exec(out)![1]);
    });
    const t = await withServer(ref, async (port) => {
      const r = await tcpkitBench([
        `127.0.0.1:${port}`,
        "-c",
        "50",
        "-s",
        String(size),
        "-d",
        `${SECONDS}s`,
        "--warmup",
        "1s",
      ]);
      if (r.errors || r.mismatches) {
        throw new Error(`tcpkit bench reported errors: ${JSON.stringify(r)}`);
      }
      return r.msgs_per_sec as number;
    });
    theirs.push(c);
    ours.push(t);
    console.log(
      `  round ${round + 1}: echo_bench ${c.toFixed(0)} msgs/s, tcpkit bench ${
        t.toFixed(0)
      } msgs/s`,
    );
  }
  return { ours: median(ours), theirs: median(theirs) };
}

async function streamComparison(ref: string) {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const port = freePort();
    const server = new Deno.Command("iperf3", {
      args: ["-s", "-1", "-p", String(port)],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let iperf: number;
    try {
      await sleep(300);
      const out = await run("iperf3", [
        "-c",
        "127.0.0.1",
        "-p",
        String(port),
        "-t",
        String(SECONDS),
        "-J",
      ]);
      iperf = JSON.parse(out).end.sum_sent.bits_per_second / 8;
    } finally {
      await server.status;
    }
    const t = await withServer(ref, async (port) => {
      const r = await tcpkitBench([
        `127.0.0.1:${port}`,
        "--mode",
        "stream",
        "-c",
        "1",
        "-d",
        `${SECONDS}s`,
        "--warmup",
        "1s",
      ]);
      return r.sent_bytes_per_sec as number;
    }, { discard: true });
    theirs.push(iperf);
    ours.push(t);
    console.log(
      `  round ${round + 1}: iperf3 ${(iperf / 2 ** 30).toFixed(2)} GiB/s, tcpkit bench ${
        (t / 2 ** 30).toFixed(2)
      } GiB/s`,
    );
  }
  return { ours: median(ours), theirs: median(theirs) };
}

if (import.meta.main) {
  const ref = await referenceTools();
  console.log(`machine: ${await machine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`rounds: ${ROUNDS} x ${SECONDS}s per tool (medians compared)\n`);
  const rows: string[] = [];
  for (const size of [64, 16384]) {
    console.log(`echo ${size} B: ${ref}/echo_bench PORT 50 ${size} ${SECONDS}`);
    console.log(
      `  vs deno task tcpkit bench 127.0.0.1:PORT -c 50 -s ${size} -d ${SECONDS}s --warmup 1s`,
    );
    const r = await echoComparison(ref, size);
    rows.push(
      `| echo ${size} B, -c 50 | ${r.theirs.toFixed(0)} msgs/s (echo_bench) | ${
        r.ours.toFixed(0)
      } msgs/s | ${(r.ours / r.theirs).toFixed(2)} |`,
    );
  }
  console.log(`stream: iperf3 -c 127.0.0.1 -t ${SECONDS} -J`);
  console.log(
    `  vs deno task tcpkit bench 127.0.0.1:PORT --mode stream -c 1 -d ${SECONDS}s (into echo_server discard)`,
  );
  const s = await streamComparison(ref);
  rows.push(
    `| stream, 1 connection | ${(s.theirs / 2 ** 30).toFixed(2)} GiB/s (iperf3) | ${
      (s.ours / 2 ** 30).toFixed(2)
    } GiB/s | ${(s.ours / s.theirs).toFixed(2)} |`,
  );
  console.log("\n| test | reference | tcpkit bench | ratio |\n| --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
}
