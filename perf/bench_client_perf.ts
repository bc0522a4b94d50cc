/**
 * `deno task perf:bench-client`: is `tcpkit bench` itself the bottleneck? Measures, in
 * interleaved rounds, three closed-loop echo clients against the reference C
 * `echo_server` (a fresh one for every measurement) on 127.0.0.1:
 *
 * - `deno_client.ts PORT 50 SIZE SECONDS` (../shared/tools): the smallest fast Deno client,
 *   write + read until the whole echo is back, no checks, no timing: the platform limit;
 * - `tcpkit bench 127.0.0.1:PORT -c 50 -s SIZE -d SECONDSs --json -q` (the `bench` task's
 *   exact flags and its default 1 s warmup; every byte verified, every latency recorded).
 *   deno_client settles for 0.3 s before its window; tcpkit's larger code needs longer for
 *   V8's background compiler (about a tenth of the core in the first half second after its
 *   Worker starts, `perf record`), which the default warmup leaves out, as for any user;
 * - `echo_bench PORT 50 SIZE SECONDS`, the reference C client: how far the platform is from
 *   the machine.
 *
 * It prints each client's median and the ratios tcpkit/deno_client and tcpkit/C (ratio of
 * medians, and the median of the per-round ratios), with the machine and the load average.
 *
 * Env: PERF_SECONDS (3), PERF_ROUNDS (7), PERF_SIZES ("64,16384"), PERF_PIN ("1": server on
 * core 0, every client on the other cores, via `taskset`; "0": no pinning), PERF_BASELINE
 * (path of another checkout's main.ts: its `tcpkit bench` runs as a fourth client, for
 * before/after in the same run). Bounded: about ROUNDS x SIZES x 3 x (SECONDS + 1) s.
 *
 * PERF_PAIRED=1 measures differently: deno_client and tcpkit run at the same time, pinned to
 * the same core, each against its own echo_server. The scheduler gives each half the core,
 * so their throughput ratio is the ratio of CPU per message, and the VM's noise (±15% between
 * solo rounds) hits both alike. deno_client starts PAIRED_DELAY_MS later, so that its window
 * (after its 0.3 s settle) lines up with tcpkit's (after start-up and the 1 s warmup).
 */

import { cliCommand } from "../tests/helpers.ts";
import { loadAverage, machine, median, referenceTools, run, withServer } from "./perf_common.ts";

const SECONDS = Number(Deno.env.get("PERF_SECONDS") ?? 3);
const ROUNDS = Number(Deno.env.get("PERF_ROUNDS") ?? 7);
const SIZES = (Deno.env.get("PERF_SIZES") ?? "64,16384").split(",").map(Number);
const PIN = (Deno.env.get("PERF_PIN") ?? "1") !== "0";
const BASELINE = Deno.env.get("PERF_BASELINE");
const CONNS = 50;
const PAIRED = Deno.env.get("PERF_PAIRED") === "1";
/** How much later deno_client starts than tcpkit in a paired round. */
const PAIRED_DELAY_MS = 1000;

const TOOLS_DIR = Deno.env.get("TOOLS_DIR") ??
  new URL("../../shared/tools/", import.meta.url).pathname;

/** `taskset` prefixes: the server on core 0, clients on the rest (empty when not pinning). */
const cores = navigator.hardwareConcurrency || 1;
const pinServer = PIN && cores > 1 ? ["taskset", "-c", "0"] : [];
const pinClient = PIN && cores > 1 ? ["taskset", "-c", `1-${cores - 1}`] : [];

function argv(prefix: string[], cmd: string, args: string[]): [string, string[]] {
  return prefix.length === 0 ? [cmd, args] : [prefix[0], [...prefix.slice(1), cmd, ...args]];
}

interface Client {
  name: string;
  /** The command line, PORT and SIZE standing for the values. */
  shown: string;
  /** Measures msgs/s against the server on `port`. */
  measure(port: number, size: number): Promise<number>;
}

/**
 * The `tcpkit` task's runtime arguments: this checkout's, or (`main` given) those in the
 * deno.json beside another checkout's main.ts, with that main.ts.
 */
function taskArgs(main: string | undefined): string[] {
  if (main === undefined) return cliCommand().args;
  const config = JSON.parse(
    Deno.readTextFileSync(new URL("deno.json", `file://${Deno.realPathSync(main)}`)),
  );
  const [, ...args] = (config.tasks.tcpkit as string).split(/\s+/);
  return args.map((a) => a === "main.ts" ? main : a);
}

function tcpkitClient(name: string, main: string | undefined): Client {
  const cli = cliCommand();
  const base = taskArgs(main);
  const flags = (port: number | string, size: number | string) => [
    "bench",
    `127.0.0.1:${port}`,
    "-c",
    String(CONNS),
    "-s",
    String(size),
    "-d",
    `${SECONDS}s`,
    "--json",
    "-q",
  ];
  return {
    name,
    shown: ["deno", ...base, ...flags("PORT", "SIZE")].join(" "),
    async measure(port, size) {
      const [cmd, args] = argv(pinClient, cli.command, [...base, ...flags(port, size)]);
      const r = JSON.parse(await run(cmd, args)).result;
      if (r.errors || r.mismatches) {
        throw new Error(`${name} reported errors: ${JSON.stringify(r.error_samples)}`);
      }
      return r.msgs_per_sec;
    },
  };
}

function clients(ref: string): Client[] {
  const list: Client[] = [
    {
      name: "deno_client",
      shown: `deno run -A ${TOOLS_DIR}deno_client.ts PORT ${CONNS} SIZE ${SECONDS}`,
      async measure(port, size) {
        const [cmd, args] = argv(pinClient, Deno.execPath(), [
          "run",
          "-A",
          `${TOOLS_DIR}deno_client.ts`,
          String(port),
          String(CONNS),
          String(size),
          String(SECONDS),
        ]);
        return Number(/msgs\/s (\d+)/.exec(await run(cmd, args))![1]);
      },
    },
    tcpkitClient("tcpkit", undefined),
    {
      name: "echo_bench",
      shown: `${ref}/echo_bench PORT ${CONNS} SIZE ${SECONDS}`,
      async measure(port, size) {
        const [cmd, args] = argv(pinClient, `${ref}/echo_bench`, [
          String(port),
          String(CONNS),
          String(size),
          String(SECONDS),
        ]);
        return Number(/msgs\/s (\d+)/.exec(await run(cmd, args))![1]);
      },
    },
  ];
  if (BASELINE !== undefined) list.push(tcpkitClient("baseline", BASELINE));
  return list;
}

const fmt = (n: number) => n.toFixed(0).padStart(7);
const ratio = (n: number) => n.toFixed(2);

if (import.meta.main) {
  const ref = await referenceTools();
  const list = clients(ref);
  console.log(`machine: ${await machine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(
    `rounds: ${ROUNDS} x ${SECONDS}s per client, order rotating, fresh echo_server each; ` +
      (pinServer.length
        ? `server ${pinServer.join(" ")}, clients ${pinClient.join(" ")}`
        : "unpinned"),
  );
  for (const c of list) console.log(`  ${c.name}: ${c.shown}`);
  if (PAIRED) await pairedRounds(ref, list);
  else await soloRounds(ref, list);
}

/** The default: each client alone, ROUNDS rounds per size, order rotating. */
async function soloRounds(ref: string, list: Client[]) {
  const rows: string[] = [];
  for (const size of SIZES) {
    console.log(`\necho ${size} B, ${CONNS} connections`);
    const figures = new Map<string, number[]>(list.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = list.map((_, i) => list[(i + round) % list.length]);
      const load = loadAverage();
      const line: string[] = [];
      for (const c of order) {
        const v = await withServer(ref, (port) => c.measure(port, size), { prefix: pinServer });
        figures.get(c.name)!.push(v);
        line.push(`${c.name} ${v.toFixed(0)}`);
      }
      const f = (name: string) => figures.get(name)![round];
      console.log(
        `  round ${round + 1} (load ${load}): ${line.join(", ")}  -> tcpkit/deno_client ${
          ratio(f("tcpkit") / f("deno_client"))
        }`,
      );
    }
    const med = (name: string) => median(figures.get(name)!);
    const perRound = (name: string, other: string) =>
      median(figures.get(name)!.map((v, i) => v / figures.get(other)![i]));
    const summary = [
      `| ${size} B | ${fmt(med("deno_client"))} | ${fmt(med("tcpkit"))} | ${
        fmt(med("echo_bench"))
      } | **${ratio(med("tcpkit") / med("deno_client"))}×** (${
        ratio(perRound("tcpkit", "deno_client"))
      }×) | ${ratio(med("tcpkit") / med("echo_bench"))}× | ${
        ratio(med("deno_client") / med("echo_bench"))
      }× |`,
    ];
    if (BASELINE !== undefined) {
      summary.push(
        `| ${size} B baseline | ${fmt(med("deno_client"))} | ${fmt(med("baseline"))} | ${
          fmt(med("echo_bench"))
        } | ${ratio(med("baseline") / med("deno_client"))}× (${
          ratio(perRound("baseline", "deno_client"))
        }×) | ${ratio(med("baseline") / med("echo_bench"))}× | |`,
      );
    }
    rows.push(...summary);
  }
  console.log(`\nload at the end: ${loadAverage()}`);
  console.log(
    "\n| message | deno_client msgs/s | tcpkit bench msgs/s | echo_bench (C) msgs/s " +
      "| tcpkit/deno_client (median of round ratios) | tcpkit/C | deno_client/C |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
}

/** PERF_PAIRED=1: deno_client and tcpkit at the same time on one core, ROUNDS pairs per size. */
async function pairedRounds(ref: string, list: Client[]) {
  const [denoClient, tcpkit] = list;
  console.log(`paired: both clients at once, deno_client ${PAIRED_DELAY_MS} ms later`);
  const rows: string[] = [];
  for (const size of SIZES) {
    console.log(`\necho ${size} B, ${CONNS} connections each`);
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [d, t] = await withServer(ref, (p1) =>
        withServer(ref, (p2) =>
          Promise.all([
            new Promise((r) => setTimeout(r, PAIRED_DELAY_MS)).then(() =>
              denoClient.measure(p1, size)
            ),
            tcpkit.measure(p2, size),
          ]), { prefix: pinServer }), { prefix: pinServer });
      ratios.push(t / d);
      console.log(
        `  pair ${round + 1}: deno_client ${d.toFixed(0)}, tcpkit ${t.toFixed(0)}` +
          `  -> tcpkit/deno_client ${ratio(t / d)}`,
      );
    }
    rows.push(`| ${size} B | **${ratio(median(ratios))}×** | ${ratios.map(ratio).join(", ")} |`);
  }
  console.log("\n| message | tcpkit/deno_client, paired (median) | pairs |");
  console.log("| --- | --- | --- |");
  for (const row of rows) console.log(row);
}
