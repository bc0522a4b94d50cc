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
 * solo rounds) hits both alike. The window is counted from outside, by the servers' sockets
 * (see pairedRounds), so both are measured over the same seconds. Needs `ss` (iproute2).
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
/** Paired: how long both run before the window opens (tcpkit's start-up, its 1 s warmup, settling). */
const PAIRED_SETTLE_MS = 2500;
/** Paired: how much longer than the window each client runs. */
const PAIRED_EXTRA_S = 4;

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
  /** The pinned command that runs the client against `port` for `seconds` of measuring. */
  argv(port: number, size: number, seconds: number): [string, string[]];
  /** Its msgs/s from what it printed; throws when it reported errors. */
  parse(output: string): number;
}

/** Runs `client` alone against the server on `port`: its own msgs/s. */
async function measure(client: Client, port: number, size: number): Promise<number> {
  return client.parse(await run(...client.argv(port, size, SECONDS)));
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
  const flags = (port: number | string, size: number | string, seconds: number) => [
    "bench",
    `127.0.0.1:${port}`,
    "-c",
    String(CONNS),
    "-s",
    String(size),
    "-d",
    `${seconds}s`,
    "--json",
    "-q",
  ];
  return {
    name,
    shown: ["deno", ...base, ...flags("PORT", "SIZE", SECONDS)].join(" "),
    argv: (port, size, seconds) =>
      argv(pinClient, cli.command, [...base, ...flags(port, size, seconds)]),
    parse(output) {
      const r = JSON.parse(output).result;
      if (r.errors || r.mismatches) {
        throw new Error(`${name} reported errors: ${JSON.stringify(r.error_samples)}`);
      }
      return r.msgs_per_sec;
    },
  };
}

/** A client that prints `msgs/s N` (the reference tools). */
function plainClient(
  name: string,
  cmd: string,
  args: (port: number, size: number, seconds: number) => string[],
  shown: string,
): Client {
  return {
    name,
    shown,
    argv: (port, size, seconds) => argv(pinClient, cmd, args(port, size, seconds)),
    parse(output) {
      const found = /msgs\/s (\d+)/.exec(output);
      if (found === null) throw new Error(`${name} printed no rate: ${output}`);
      return Number(found[1]);
    },
  };
}

function clients(ref: string): Client[] {
  const list: Client[] = [
    plainClient(
      "deno_client",
      Deno.execPath(),
      (
        port,
        size,
        seconds,
      ) => [
        "run",
        "-A",
        `${TOOLS_DIR}deno_client.ts`,
        String(port),
        String(CONNS),
        String(size),
        String(seconds),
      ],
      `deno run -A ${TOOLS_DIR}deno_client.ts PORT ${CONNS} SIZE ${SECONDS}`,
    ),
    tcpkitClient("tcpkit", undefined),
    plainClient(
      "echo_bench",
      `${ref}/echo_bench`,
      (port, size, seconds) => [String(port), String(CONNS), String(size), String(seconds)],
      `${ref}/echo_bench PORT ${CONNS} SIZE ${SECONDS}`,
    ),
  ];
  if (BASELINE !== undefined) list.push(tcpkitClient("baseline", BASELINE));
  return list;
}

const fmt = (n: number) => n.toFixed(0).padStart(7);
const ratio = (n: number) => n.toFixed(2);
const ratio3 = (n: number) => n.toFixed(3);

if (import.meta.main) {
  const ref = await referenceTools();
  const list = clients(ref);
  console.log(`machine: ${await machine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(
    (PAIRED
      ? ""
      : `rounds: ${ROUNDS} x ${SECONDS}s per client, order rotating, fresh echo_server each; `) +
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
        const v = await withServer(ref, (port) => measure(c, port, size), { prefix: pinServer });
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

/**
 * PERF_PAIRED=1: deno_client and tcpkit at the same time on one core, ROUNDS pairs per size.
 * Both run PAIRED_EXTRA_S longer than the window, which is measured from outside: the bytes
 * each echo_server's sockets have received (the kernel's TCP counters, `ss`), read at the
 * window's start and end. So both count over the same interval, with the other one busy all
 * through it. (Each client's own window would not do: tcpkit's and deno_client's start-up
 * times differ by up to 0.2 s from run to run, and whichever stops first leaves the other
 * the whole core for the rest of its window, up to 5% for it in a 4 s window.)
 */
async function pairedRounds(ref: string, list: Client[]) {
  // The C client is left out: it would take most of the core's time.
  const together = list.filter((c) => c.name !== "echo_bench");
  const others = together.filter((c) => c.name !== "deno_client");
  const runFor = SECONDS + PAIRED_EXTRA_S;
  console.log(
    `paired: ${together.map((c) => c.name).join(", ")} at once for ${runFor}s each, ` +
      `${ROUNDS} rounds per size; the window is the ${SECONDS}s from ` +
      `${PAIRED_SETTLE_MS / 1000}s after their start, counted by the servers' sockets`,
  );
  const rows: string[] = [];
  for (const size of SIZES) {
    console.log(`\necho ${size} B, ${CONNS} connections each`);
    const ratios = new Map<string, number[]>(others.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const rates = await withServers(
        ref,
        together.length,
        (ports) => pairedRound(together, ports, size, runFor),
      );
      const line = together.map((c, i) => `${c.name} ${rates[i].toFixed(0)}`).join(", ");
      const shares = others.map((c) => {
        const r = rates[together.indexOf(c)] / rates[0];
        ratios.get(c.name)!.push(r);
        return `${c.name}/deno_client ${ratio3(r)}`;
      });
      console.log(`  round ${round + 1}: ${line} msgs/s  -> ${shares.join(", ")}`);
    }
    for (const c of others) {
      const rs = ratios.get(c.name)!;
      rows.push(
        `| ${size} B | ${c.name} | **${ratio3(median(rs))}×** | ${rs.map(ratio3).join(", ")} |`,
      );
    }
  }
  console.log(`\nload at the end: ${loadAverage()}`);
  console.log("\n| message | client | client/deno_client, paired (median) | rounds |");
  console.log("| --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
}

/** Runs an echo_server (on the server core) for each of `n` clients around `fn`. */
function withServers<T>(ref: string, n: number, fn: (ports: number[]) => Promise<T>): Promise<T> {
  if (n === 0) return fn([]);
  return withServer(ref, (port) => withServers(ref, n - 1, (ports) => fn([port, ...ports])), {
    prefix: pinServer,
  });
}

/**
 * One paired round: every client against its own port for `runFor` seconds, all at once;
 * returns each one's msgs/s over the same window, from the servers' socket counters.
 */
async function pairedRound(
  clients: Client[],
  ports: number[],
  size: number,
  runFor: number,
): Promise<number[]> {
  const children = clients.map((c, i) => spawnClient(c, ports[i], size, runFor));
  try {
    await new Promise((r) => setTimeout(r, PAIRED_SETTLE_MS));
    const before = await receivedBytes(ports);
    const start = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const after = await receivedBytes(ports);
    const seconds = (performance.now() - start) / 1000;
    // Every client must have run cleanly: its own report must parse and show no errors.
    const outputs = await Promise.all(children.map((c) => c.output()));
    outputs.forEach((out, i) => {
      const text = new TextDecoder().decode(out.stdout).trim();
      if (!out.success) throw new Error(`${clients[i].name} failed: ${text}`);
      clients[i].parse(text);
    });
    return ports.map((p) => (after.get(p)! - before.get(p)!) / size / seconds);
  } finally {
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch { /* already exited */ }
    }
  }
}

/** Starts `client` against `port` for `seconds`, its output piped. */
function spawnClient(
  client: Client,
  port: number,
  size: number,
  seconds: number,
): Deno.ChildProcess {
  const [cmd, args] = client.argv(port, size, seconds);
  return new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).spawn();
}

/**
 * Bytes received so far by the established TCP sockets whose local port is one of `ports`
 * (the echo servers' side of each connection), summed per port, from the kernel's
 * counters (`ss -ti`: bytes_received).
 */
async function receivedBytes(ports: number[]): Promise<Map<number, number>> {
  const filter = ports.map((p) => `sport = :${p}`).join(" or ");
  const text = await run("ss", ["-tinH", "state", "established", `( ${filter} )`]);
  const totals = new Map(ports.map((p) => [p, 0]));
  let port: number | undefined;
  for (const line of text.split("\n")) {
    if (!/^\s/.test(line)) {
      // A socket: Recv-Q Send-Q Local:Port Peer:Port (the state column is left out).
      port = Number(line.trim().split(/\s+/)[2]?.split(":").pop());
      continue;
    }
    const got = /bytes_received:(\d+)/.exec(line);
    if (got !== null && port !== undefined && totals.has(port)) {
      totals.set(port, totals.get(port)! + Number(got[1]));
    }
  }
  return totals;
}
