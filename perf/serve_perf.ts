/**
 * `deno task perf:serve`: echo throughput of `tcpkit serve` against the reference C
 * epoll server (and Node's net echo, for context), measured by the reference C client
 * in the same run, plus RSS with 10,000 idle connections. Loopback only, bounded.
 *
 * Env: SECONDS_PER_RUN (default 3), ROUNDS (default 3), IDLE_CONNS (default 10000).
 */

import { sleep } from "../lib/common/time.ts";
import { LineReader, spawnCli, startServe } from "../tests/helpers.ts";
import { freePort, machine, median, referenceTools, run, waitForPort } from "./perf_common.ts";

const SECONDS = Number(Deno.env.get("SECONDS_PER_RUN") ?? 3);
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 3);
const IDLE_CONNS = Number(Deno.env.get("IDLE_CONNS") ?? 10_000);
const CONNS = 50;
const SIZES = [64, 16 * 1024];

/** A process's CPU time so far, in seconds of user and kernel time (/proc, 100 Hz ticks). */
function cpuSeconds(pid: number): { user: number; kernel: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / 100, kernel: Number(fields[12]) / 100 };
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s*(\d+)/)![1]) / 1024;
}

const NODE_ECHO = `
const net = require("net");
const s = net.createServer((c) => { c.setNoDelay(true); c.pipe(c); c.on("error", () => {}); });
s.listen(Number(process.argv[1]), "127.0.0.1");`;

async function throughput(refDir: string) {
  const refPort = freePort();
  const nodePort = freePort();
  const ref = new Deno.Command(`${refDir}/echo_server`, { args: [String(refPort)] }).spawn();
  const node = new Deno.Command("node", { args: ["-e", NODE_ECHO, String(nodePort)] }).spawn();
  const tcpkit = await startServe(["127.0.0.1:0", "--quiet"]);
  const rows: string[] = [];
  const cpuRows: string[] = [];
  const servers = [
    { name: "C epoll", pid: ref.pid, port: refPort },
    { name: "tcpkit", pid: tcpkit.child.pid, port: tcpkit.port },
  ];
  try {
    await waitForPort(refPort);
    await waitForPort(nodePort);
    const bench = async (port: number, size: number) => {
      const line = await run(`${refDir}/echo_bench`, [
        String(port),
        String(CONNS),
        String(size),
        String(SECONDS),
      ]);
      return Number(/msgs\/s (\d+)/.exec(line)![1]);
    };
    for (const size of SIZES) {
      const ratios: number[] = [];
      const nodeRatios: number[] = [];
      let last = { ref: 0, tcpkit: 0, node: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        // Interleaved, so drift in machine load hits every server alike.
        const r = await bench(refPort, size);
        const t = await bench(tcpkit.port, size);
        const n = await bench(nodePort, size);
        ratios.push(t / r);
        nodeRatios.push(n / r);
        last = { ref: r, tcpkit: t, node: n };
        console.error(`  size ${size} round ${round + 1}: ref ${r}  tcpkit ${t}  node ${n} msgs/s`);
      }
      rows.push(
        `| ${size} B | ${CONNS} | ${last.ref} | ${last.tcpkit} | ${last.node} | ` +
          `**${median(ratios).toFixed(2)}×** | ${median(nodeRatios).toFixed(2)}× |`,
      );
      // Where each server's time goes: one more run each, reading its CPU clock around it.
      for (const server of servers) {
        const before = cpuSeconds(server.pid);
        const msgs = await bench(server.port, size) * SECONDS;
        const after = cpuSeconds(server.pid);
        const perMsg = (seconds: number) => (seconds * 1e6 / msgs).toFixed(2);
        const user = after.user - before.user;
        const kernel = after.kernel - before.kernel;
        cpuRows.push(
          `| ${size} B | ${server.name} | ${Math.round(msgs / SECONDS)} | ` +
            `${((user + kernel) * 100 / SECONDS).toFixed(0)}% | ${perMsg(user)} µs | ` +
            `${perMsg(kernel)} µs |`,
        );
      }
    }
  } finally {
    ref.kill("SIGTERM");
    node.kill("SIGTERM");
    await ref.status;
    await node.status;
    await tcpkit.stop();
  }
  return [
    `| message | conns | C epoll msgs/s | tcpkit msgs/s | node msgs/s | tcpkit/C (median of ${ROUNDS}) | node/C |`,
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "| message | server | msgs/s | server CPU | user CPU per msg | kernel CPU per msg |",
    "| --- | --- | --- | --- | --- | --- |",
    ...cpuRows,
  ];
}

async function idleMemory(): Promise<string[]> {
  const child = spawnCli(["serve", "127.0.0.1:0", "--quiet"]);
  const stderr = new LineReader(child.stderr);
  child.stdout.cancel();
  const port = Number((await stderr.waitFor(/listening on \S+:(\d+)/))[1]);
  const conns: Deno.Conn[] = [];
  try {
    const baseline = rssMiB(child.pid);
    for (let i = 0; i < IDLE_CONNS; i += 500) {
      const batch = Math.min(500, IDLE_CONNS - i);
      conns.push(
        ...await Promise.all(
          Array.from({ length: batch }, () => Deno.connect({ hostname: "127.0.0.1", port })),
        ),
      );
    }
    // Every connection echoes once, so the server has really accepted and served each.
    const one = new Uint8Array([1]);
    const buf = new Uint8Array(1);
    for (let i = 0; i < conns.length; i += 1000) {
      await Promise.all(
        conns.slice(i, i + 1000).map(async (c) => {
          await c.write(one);
          if (await c.read(buf) !== 1) throw new Error("no echo");
        }),
      );
    }
    await sleep(1000);
    const loaded = rssMiB(child.pid);
    // A new client is still served while 10k sit idle.
    const started = performance.now();
    const fresh = await Deno.connect({ hostname: "127.0.0.1", port });
    await fresh.write(new Uint8Array(1000));
    let got = 0;
    const big = new Uint8Array(2000);
    while (got < 1000) got += (await fresh.read(big)) ?? 1000;
    fresh.close();
    const freshMs = performance.now() - started;
    console.error(
      `  idle: baseline ${baseline.toFixed(1)} MiB, with ${conns.length}: ${loaded.toFixed(1)} MiB`,
    );
    return [
      "| idle connections | server RSS before | server RSS with them | per connection | new client echo |",
      "| --- | --- | --- | --- | --- |",
      `| ${conns.length} | ${baseline.toFixed(1)} MiB | **${
        loaded.toFixed(1)
      } MiB** (target < 150 MB) | ` +
      `${((loaded - baseline) * 1024 / conns.length).toFixed(1)} KiB | ${freshMs.toFixed(1)} ms |`,
    ];
  } finally {
    conns.forEach((c) => c.close());
    child.kill("SIGTERM");
    await child.status;
    await stderr.done;
  }
}

const refDir = await referenceTools();
console.log(`Machine: ${await machine()}`);
console.log(`Date: ${new Date().toISOString().slice(0, 10)}`);
console.log("Command: deno task perf:serve\n");
console.log((await throughput(refDir)).join("\n"));
console.log("");
console.log((await idleMemory()).join("\n"));
