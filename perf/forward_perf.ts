/**
 * `deno task perf:forward`: `tcpkit serve --forward` against socat's relay
 * (`socat TCP-LISTEN:P,fork,reuseaddr,nodelay TCP:127.0.0.1:Q,nodelay`), in the same run,
 * interleaved round by round, in front of the reference C servers:
 *
 * - echo: the reference C client (`echo_bench`, 50 connections, 64 B) through each relay to
 *   the C echo server, with the relays' CPU per message (socat's forks included);
 * - upload: one connection sends UPLOAD_MIB one way through each relay into the C discard
 *   server and waits for the close that says the server has it all;
 * - idle: IDLE_PAIRS relayed pairs (each echoed once, then left idle) and the relay's VmRSS.
 *
 * The relay runs with the `tcpkit` task's exact flags, under `ulimit -n 65536` when the
 * hard limit allows (each pair takes two descriptors), else under the hard limit.
 *
 * Env: SECONDS_PER_RUN (default 3), ROUNDS (default 5), UPLOAD_MIB (default 512),
 * IDLE_PAIRS (default 10000).
 */

import { sleep } from "../lib/common/time.ts";
import { cliCommand, LineReader } from "../tests/helpers.ts";
import {
  freePort,
  loadAverage,
  machine,
  median,
  referenceTools,
  run,
  waitForPort,
} from "./perf_common.ts";

const SECONDS = Number(Deno.env.get("SECONDS_PER_RUN") ?? 3);
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 5);
const UPLOAD_MIB = Number(Deno.env.get("UPLOAD_MIB") ?? 512);
const IDLE_PAIRS = Number(Deno.env.get("IDLE_PAIRS") ?? 10_000);
const CONNS = 50;
const SIZE = 64;

/** `ps`-style CPU seconds of a process and its reaped children (socat's forks). */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime: fields 14-17 of stat, 11-14 after the name.
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s*(\d+)/)![1]) / 1024;
}

/** A relay under test: where it listens and its process. */
interface Relay {
  name: string;
  port: number;
  pid: number;
  /** The relay's `listening on` line, for tcpkit. */
  listening?: string;
  stop(): Promise<void>;
}

/** `tcpkit serve 127.0.0.1:0 --forward 127.0.0.1:TARGET --quiet`, with a raised fd limit. */
async function startTcpkit(target: number, extra: string[] = []): Promise<Relay> {
  const { command, args } = cliCommand();
  const argv = [command, ...args, "serve", "127.0.0.1:0", "--forward", `127.0.0.1:${target}`];
  const quoted = [...argv, "--quiet", ...extra].map((a) => `'${a}'`).join(" ");
  // exec: the shell becomes the relay, so its pid is the relay's.
  const child = new Deno.Command("sh", {
    args: ["-c", `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new LineReader(child.stderr);
  const match = await stderr.waitFor(/^(listening on \S+:(\d+) .*)$/);
  return {
    name: `tcpkit${extra.length ? ` ${extra.join(" ")}` : ""}`,
    port: Number(match[2]),
    pid: child.pid,
    listening: match[1],
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await stderr.done;
    },
  };
}

async function startSocat(target: number): Promise<Relay> {
  const port = freePort();
  const child = new Deno.Command("socat", {
    args: [`TCP-LISTEN:${port},fork,reuseaddr,nodelay`, `TCP:127.0.0.1:${target},nodelay`],
    stdin: "null",
  }).spawn();
  await waitForPort(port);
  return {
    name: "socat",
    port,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function startC(refDir: string, port: number, mode: "echo" | "discard") {
  return new Deno.Command(`${refDir}/echo_server`, { args: [String(port), mode] }).spawn();
}

async function echoBench(refDir: string, port: number): Promise<number> {
  const line = await run(`${refDir}/echo_bench`, [
    String(port),
    String(CONNS),
    String(SIZE),
    String(SECONDS),
  ]);
  return Number(/msgs\/s (\d+)/.exec(line)![1]);
}

/**
 * Echo msgs/s and CPU µs per message of each relay, interleaved (the order turning each
 * round); direct for context. `tcpkit --workers 2` is there because socat's forks use
 * every core, and one tcpkit thread uses one.
 */
async function echo(refDir: string, echoPort: number): Promise<string[]> {
  const relays = [
    await startTcpkit(echoPort),
    await startTcpkit(echoPort, ["--workers", "2"]),
    await startSocat(echoPort),
  ];
  const names = relays.map((r) => r.name);
  const rates = new Map<string, number[]>(["direct", ...names].map((n) => [n, []]));
  const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
  const ratios = new Map<string, number[]>(names.map((n) => [n, []]));
  const loads: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      loads.push(loadAverage());
      const direct = await echoBench(refDir, echoPort);
      rates.get("direct")!.push(direct);
      const got: Record<string, number> = {};
      const shift = round % relays.length;
      for (const relay of [...relays.slice(shift), ...relays.slice(0, shift)]) {
        const before = cpuSeconds(relay.pid);
        const rate = await echoBench(refDir, relay.port);
        await sleep(600); // socat's forks end (and are counted) after the client goes
        cpu.get(relay.name)!.push((cpuSeconds(relay.pid) - before) * 1e6 / (rate * SECONDS));
        rates.get(relay.name)!.push(rate);
        got[relay.name] = rate;
      }
      for (const name of names) ratios.get(name)!.push(got[name] / got.socat);
      console.error(
        `  echo round ${round + 1} (load ${loads.at(-1)}): direct ${direct}  ` +
          names.map((n) => `${n} ${got[n]}`).join("  ") + " msgs/s",
      );
    }
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
  }
  const med = (name: string) => Math.round(median(rates.get(name)!));
  const row = (name: string, label: string) => {
    const r = ratios.get(name)!;
    return `| ${label} | ${med(name)} | ${median(cpu.get(name)!).toFixed(1)} µs | ` +
      (name === "socat"
        ? "1 |"
        : `**${median(r).toFixed(2)}×** (${r.map((x) => x.toFixed(2)).join(", ")}) |`);
  };
  return [
    `Load average (1, 5, 15 min) at each round's start: ${loads.join("; ")}.`,
    "",
    `| path (C client, ${CONNS} conns, ${SIZE} B) | msgs/s (median of ${ROUNDS}) | ` +
    "relay CPU per msg | vs socat (median of the rounds' ratios; each round) |",
    "| --- | --- | --- | --- |",
    `| direct to the C echo server | ${med("direct")} | – | – |`,
    row(names[0], "through `tcpkit serve --forward`"),
    row(names[1], "through `tcpkit serve --forward --workers 2`"),
    row("socat", "through socat"),
    "",
    "Target: tcpkit/socat ≥ 1.5×.",
  ];
}

/** Sends `mib` MiB through `port`, half-closes, and waits for the far side's close: MiB/s. */
async function upload(port: number, mib: number): Promise<number> {
  const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const started = performance.now();
    for (let i = 0; i < mib; i++) {
      let offset = 0;
      while (offset < chunk.length) offset += await conn.write(chunk.subarray(offset));
    }
    await conn.closeWrite();
    if (await conn.read(new Uint8Array(16)) !== null) throw new Error("discard server replied");
    return mib / ((performance.now() - started) / 1000);
  } finally {
    conn.close();
  }
}

async function uploads(discardPort: number): Promise<string[]> {
  const tcpkit = await startTcpkit(discardPort);
  const socat = await startSocat(discardPort);
  const relays = [tcpkit, socat];
  const rates = new Map<string, number[]>(
    ["direct", ...relays.map((r) => r.name)].map((n) => [n, []]),
  );
  const ratios: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      rates.get("direct")!.push(await upload(discardPort, UPLOAD_MIB));
      const got: Record<string, number> = {};
      for (const relay of round % 2 ? [...relays].reverse() : relays) {
        got[relay.name] = await upload(relay.port, UPLOAD_MIB);
        rates.get(relay.name)!.push(got[relay.name]);
      }
      ratios.push(got.tcpkit / got.socat);
      console.error(
        `  upload round ${round + 1} (load ${loadAverage()}): direct ${
          rates.get("direct")!.at(-1)!.toFixed(0)
        }  tcpkit ${got.tcpkit.toFixed(0)}  socat ${got.socat.toFixed(0)} MiB/s`,
      );
    }
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
  }
  const med = (name: string) => median(rates.get(name)!).toFixed(0);
  return [
    `| ${UPLOAD_MIB} MiB upload into the C discard server | MiB/s (median of ${ROUNDS}) |`,
    "| --- | --- |",
    `| direct | ${med("direct")} |`,
    `| through tcpkit serve --forward | ${med("tcpkit")} |`,
    `| through socat | ${med("socat")} |`,
    "",
    `tcpkit/socat, median of the per-round ratios: **${median(ratios).toFixed(2)}×** ` +
    `(rounds: ${ratios.map((r) => r.toFixed(2)).join(", ")}; target ≥ 1×)`,
  ];
}

/** RSS of the relay holding IDLE_PAIRS pairs (or as many as its descriptor limit allows). */
async function idle(echoPort: number): Promise<string[]> {
  const relay = await startTcpkit(echoPort);
  const maxConns = Number(/max-conns (\d+)/.exec(relay.listening!)![1]);
  const pairs = Math.min(IDLE_PAIRS, maxConns);
  const conns: Deno.Conn[] = [];
  try {
    await sleep(500);
    const baseline = rssMiB(relay.pid);
    for (let i = 0; i < pairs; i += 500) {
      const batch = Math.min(500, pairs - i);
      conns.push(
        ...await Promise.all(
          Array.from(
            { length: batch },
            () => Deno.connect({ hostname: "127.0.0.1", port: relay.port }),
          ),
        ),
      );
    }
    // One echo each: every pair is joined to its upstream and has moved bytes both ways.
    const one = new Uint8Array([1]);
    for (let i = 0; i < conns.length; i += 1000) {
      await Promise.all(
        conns.slice(i, i + 1000).map(async (c) => {
          await c.write(one);
          if (await c.read(new Uint8Array(1)) !== 1) throw new Error("no echo through the relay");
        }),
      );
    }
    await sleep(1000);
    const loaded = rssMiB(relay.pid);
    const perPairKiB = (loaded - baseline) * 1024 / pairs;
    const at10k = baseline + perPairKiB * 10_000 / 1024;
    console.error(
      `  idle: baseline ${baseline.toFixed(1)} MiB, ${pairs} pairs ${loaded.toFixed(1)} MiB`,
    );
    const limited = pairs < IDLE_PAIRS
      ? ` (${pairs}: the relay's descriptor limit, \`ulimit -Hn\` ${
        Deno.build.os === "linux" ? (await run("sh", ["-c", "ulimit -Hn"])) : "?"
      }, allows no more pairs; 10,000 extrapolated: **${at10k.toFixed(1)} MiB**)`
      : "";
    return [
      "| idle relayed pairs | relay RSS before | relay RSS with them | per pair |",
      "| --- | --- | --- | --- |",
      `| ${pairs} | ${baseline.toFixed(1)} MiB | **${loaded.toFixed(1)} MiB** | ` +
      `${perPairKiB.toFixed(1)} KiB |`,
      "",
      `Target: 10,000 pairs under 300 MB (286 MiB)${limited}.`,
    ];
  } finally {
    conns.forEach((c) => c.close());
    await relay.stop();
  }
}

const refDir = await referenceTools();
const echoPort = freePort();
const discardPort = freePort();
const servers = [startC(refDir, echoPort, "echo"), startC(refDir, discardPort, "discard")];
try {
  await waitForPort(echoPort);
  await waitForPort(discardPort);
  console.log(`Machine: ${await machine()}`);
  console.log(`Date: ${new Date().toISOString().slice(0, 10)}`);
  console.log(`Command: deno task perf:forward (ROUNDS=${ROUNDS}, SECONDS_PER_RUN=${SECONDS})\n`);
  console.log((await echo(refDir, echoPort)).join("\n"));
  console.log("");
  console.log((await uploads(discardPort)).join("\n"));
  console.log("");
  console.log((await idle(echoPort)).join("\n"));
  console.log(`\nLoad average at the end: ${loadAverage()}`);
} finally {
  for (const server of servers) {
    server.kill("SIGTERM");
    await server.status;
  }
}
