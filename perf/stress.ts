/**
 * `deno task stress [--short]`: reliability scenarios against a real `tcpkit serve`
 * on loopback, each bounded in count and time. Prints one table row per scenario:
 * load, result, and what was lost (must be nothing). Exits 1 if any scenario fails.
 *
 * --short runs smaller loads (CI, under two minutes); the default is the full suite.
 */

import { writeAll } from "../lib/common/io.ts";
import { sleep } from "../lib/common/time.ts";
import { cliCommand, LineReader, ROOT, spawnCli } from "../tests/helpers.ts";

const SHORT = Deno.args.includes("--short");

interface Row {
  scenario: string;
  load: string;
  result: string;
  lost: string;
  ok: boolean;
}

interface Server {
  child: Deno.ChildProcess;
  port: number;
  stderr: LineReader;
  stop(signal?: Deno.Signal): Promise<number>;
}

async function startServer(args: string[], ulimit?: number): Promise<Server> {
  const { command, args: cliArgs } = cliCommand();
  const argv = [command, ...cliArgs, "serve", "127.0.0.1:0", ...args];
  const child = new Deno.Command(ulimit ? "sh" : command, {
    args: ulimit ? ["-c", `ulimit -n ${ulimit} && exec "$@"`, "sh", ...argv] : argv.slice(1),
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new LineReader(child.stderr);
  const port = Number((await stderr.waitFor(/listening on \S+:(\d+)/))[1]);
  return {
    child,
    port,
    stderr,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      const status = await child.status;
      await stderr.done;
      return status.code;
    },
  };
}

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** Sends `size` random bytes, half-closes, and checks the echo byte for byte. */
async function echoCheck(port: number, size: number): Promise<boolean> {
  const conn = await connect(port);
  try {
    const data = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
    const reading = (async () => {
      const got = new Uint8Array(data.length);
      let n = 0;
      const buf = new Uint8Array(65536);
      for (let r; (r = await conn.read(buf)) !== null;) {
        if (n + r > got.length) return false;
        got.set(buf.subarray(0, r), n);
        n += r;
      }
      return n === data.length && got.every((b, i) => b === data[i]);
    })();
    await writeAll(conn, data);
    await conn.closeWrite();
    return await reading;
  } catch {
    return false;
  } finally {
    conn.close();
  }
}

function rssMiB(pid: number): number {
  return Number(Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s*(\d+)/)![1]) / 1024;
}

function fdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

function summaryOf(stderr: LineReader) {
  const m = stderr.text.match(/summary: (\d+) served, (\d+) refused, peak (\d+)/);
  return m ? { served: Number(m[1]), refused: Number(m[2]), peak: Number(m[3]) } : undefined;
}

async function burst(): Promise<Row> {
  const attempts = SHORT ? 2000 : 5000;
  const server = await startServer(["--max-conns", "1000", "-q"]);
  const conns: Deno.Conn[] = [];
  let failedConnects = 0;
  for (let i = 0; i < attempts; i += 250) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(250, attempts - i) }, () => connect(server.port)),
    );
    for (const r of batch) r.status === "fulfilled" ? conns.push(r.value) : failedConnects++;
  }
  // Each connection sends a byte: the first 1000 get it back, the rest are closed.
  let echoed = 0;
  let refused = 0;
  await Promise.all(conns.map(async (c) => {
    try {
      await c.write(new Uint8Array([1]));
      const n = await c.read(new Uint8Array(1));
      n === 1 ? echoed++ : refused++;
    } catch {
      refused++;
    }
  }));
  conns.forEach((c) => c.close());
  await sleep(200);
  const after = await echoCheck(server.port, 10_000);
  const code = await server.stop();
  const s = summaryOf(server.stderr);
  const ok = echoed === 1000 && after && code === 0 && s?.peak === 1000;
  return {
    scenario: "connection burst vs --max-conns 1000",
    load: `${attempts} connects`,
    result:
      `${echoed} served, ${refused} refused (server counted ${s?.refused}), peak ${s?.peak}, ` +
      `${failedConnects} connect errors; still echoes: ${after}`,
    lost: ok ? "nothing" : "FAILED",
    ok,
  };
}

async function fdLimit(): Promise<Row> {
  const server = await startServer(["-q"], 256);
  const conns = await Promise.all(Array.from({ length: 400 }, () => connect(server.port)));
  let echoed = 0;
  await Promise.all(conns.map(async (c) => {
    try {
      await c.write(new Uint8Array([2]));
      if (await c.read(new Uint8Array(1)) === 1) echoed++;
    } catch { /* refused */ }
  }));
  conns.forEach((c) => c.close());
  await sleep(300);
  const after = await echoCheck(server.port, 50_000);
  const code = await server.stop();
  const limit = Number(server.stderr.text.match(/max-conns (\d+)/)?.[1]);
  const ok = after && code === 0 && echoed === limit && !/panic/i.test(server.stderr.text);
  return {
    scenario: "ulimit -n 256",
    load: "400 connections",
    result: `max-conns derived ${limit}; ${echoed} served, ${
      400 - echoed
    } refused; still echoes: ${after}`,
    lost: ok ? "nothing" : "FAILED",
    ok,
  };
}

async function slowloris(): Promise<Row> {
  const count = SHORT ? 300 : 1000;
  const seconds = SHORT ? 4 : 10;
  const server = await startServer(["--idle-timeout", "2s"]);
  const slow = await Promise.all(Array.from({ length: count }, () => connect(server.port)));
  let trickling = true;
  // Half the slow clients trickle a byte every 500ms; the rest go silent and get reaped.
  const trickle = Promise.all(
    slow.slice(0, count / 2).map(async (c) => {
      while (trickling) {
        try {
          await c.write(new Uint8Array([0x2e]));
          await c.read(new Uint8Array(1));
        } catch {
          return;
        }
        await sleep(500);
      }
    }),
  );
  let good = 0;
  let bad = 0;
  let worstMs = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    (await echoCheck(server.port, 4096)) ? good++ : bad++;
    worstMs = Math.max(worstMs, performance.now() - t);
    await sleep(20);
  }
  trickling = false;
  await trickle;
  slow.forEach((c) => c.close());
  const code = await server.stop();
  const reaped = (server.stderr.text.match(/idle timeout/g) ?? []).length;
  const ok = bad === 0 && code === 0 && reaped >= count / 2;
  return {
    scenario: "slowloris + steady client",
    load: `${count} slow conns, ${seconds}s`,
    result: `steady client ${good} echoes ok, ${bad} failed, worst ${worstMs.toFixed(1)} ms; ` +
      `${reaped} silent conns reaped by --idle-timeout`,
    lost: ok ? "nothing" : `${bad} echoes`,
    ok,
  };
}

async function resets(): Promise<Row> {
  const server = await startServer([]);
  const n = SHORT ? 50 : 200;
  await Promise.all(Array.from({ length: n }, async () => {
    const c = await connect(server.port);
    try {
      await writeAll(c, new Uint8Array(256 * 1024));
    } catch { /* the server may already see the reset */ }
    c.close(); // unread echo in our receive buffer: the kernel sends RST
  }));
  await sleep(300);
  const after = await echoCheck(server.port, 60_000);
  const code = await server.stop();
  const resetLines = (server.stderr.text.match(/reset by peer/g) ?? []).length;
  const ok = after && code === 0;
  return {
    scenario: "resets mid-transfer",
    load: `${n} clients close with unread data`,
    result: `${resetLines} logged as reset by peer; still echoes: ${after}`,
    lost: ok ? "nothing" : "FAILED",
    ok,
  };
}

async function neverRead(): Promise<Row> {
  const server = await startServer(["--idle-timeout", "1s"]);
  const n = SHORT ? 20 : 100;
  const before = rssMiB(server.child.pid);
  const conns = await Promise.all(Array.from({ length: n }, () => connect(server.port)));
  const chunk = new Uint8Array(1024 * 1024);
  // Each client pushes until its writes block (server backpressure), up to 64 MiB.
  const pushed = await Promise.all(conns.map(async (c) => {
    let sent = 0;
    try {
      while (sent < 64 * chunk.length) {
        const w = c.write(chunk);
        const done = await Promise.race([w, sleep(1500).then(() => -1)]);
        if (done === -1) break;
        sent += done as number;
      }
    } catch { /* dropped by idle timeout */ }
    return sent;
  }));
  const peak = rssMiB(server.child.pid);
  await sleep(2500);
  conns.forEach((c) => c.close());
  await sleep(200);
  const after = await echoCheck(server.port, 10_000);
  const code = await server.stop();
  const dropped = (server.stderr.text.match(/idle timeout/g) ?? []).length;
  const maxPushed = Math.max(...pushed) / 1024 / 1024;
  const ok = after && code === 0 && peak - before < 200 && maxPushed < 64 && dropped === n;
  return {
    scenario: "clients that never read",
    load: `${n} clients pushing up to 64 MiB each`,
    result: `accepted at most ${maxPushed.toFixed(1)} MiB per client before backpressure, ` +
      `${dropped} dropped by --idle-timeout; ` +
      `server RSS +${(peak - before).toFixed(1)} MiB; still echoes: ${after}`,
    lost: ok ? "nothing" : "FAILED",
    ok,
  };
}

async function sigtermUnderLoad(): Promise<Row> {
  const server = await startServer(["-q", "--drain-timeout", "1s"]);
  const n = 50;
  let cleanEof = 0;
  let resetSeen = 0;
  const clients = Array.from({ length: n }, async () => {
    const c = await connect(server.port);
    const buf = new Uint8Array(64);
    try {
      while (true) {
        await writeAll(c, buf);
        let got = 0;
        while (got < 64) {
          const r = await c.read(buf);
          if (r === null) {
            cleanEof++;
            return;
          }
          got += r;
        }
      }
    } catch {
      resetSeen++;
    } finally {
      c.close();
    }
  });
  await sleep(500);
  const code = await server.stop("SIGTERM");
  await Promise.all(clients);
  const s = summaryOf(server.stderr);
  const ok = code === 0 && s?.served === n && cleanEof + resetSeen === n && resetSeen === 0;
  return {
    scenario: "SIGTERM under load",
    load: `${n} busy echo clients`,
    result: `exit ${code}; ${cleanEof} clients saw a clean close, ${resetSeen} a reset; ` +
      `summary ${s ? `${s.served} served` : "missing"}`,
    lost: ok ? "nothing" : "FAILED",
    ok,
  };
}

async function soak(): Promise<Row> {
  const seconds = SHORT ? 8 : 60;
  const conns = SHORT ? 100 : 500;
  const server = await startServer(["-q"]);
  const fdBefore = fdCount(server.child.pid);
  const bench = spawnCli([
    "bench",
    `127.0.0.1:${server.port}`,
    "-c",
    String(conns),
    "-d",
    `${seconds}s`,
    "--warmup",
    "0s",
    "-s",
    "1k",
    "--json",
  ]);
  const benchErr = bench.stderr.cancel();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMiB(server.child.pid)), 1000);
  const out = await new Response(bench.stdout).text();
  const status = await bench.status;
  await benchErr;
  clearInterval(sampler);
  await sleep(500);
  const fdAfter = fdCount(server.child.pid);
  await server.stop();
  let mismatches = -1;
  let errors = -1;
  let messages = 0;
  try {
    const result = JSON.parse(out).result;
    mismatches = result.mismatches;
    errors = result.errors;
    messages = result.messages;
  } catch { /* reported below */ }
  const warm = samples.slice(Math.floor(samples.length / 3));
  // Flat means no upward trend: the mean RSS of the last half of the post-warm-up samples
  // within 10% of the first half's (GC makes a sawtooth; a leak makes a slope).
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const half = Math.floor(warm.length / 2);
  const flat = warm.length >= 2 ? mean(warm.slice(half)) / mean(warm.slice(0, half)) - 1 : 1;
  // RSS needs tens of seconds to plateau, so flatness is enforced by the full run only.
  const ok = status.code === 0 && mismatches === 0 && errors === 0 && fdAfter <= fdBefore &&
    (SHORT || flat <= 0.10);
  return {
    scenario: "soak via tcpkit bench",
    load: `${conns} conns, ${seconds}s, 1 KiB`,
    result: `${messages} msgs, ${mismatches} mismatches, ${errors} errors; RSS after warm-up ` +
      `${Math.min(...warm).toFixed(0)}–${Math.max(...warm).toFixed(0)} MiB ` +
      `(trend ${flat >= 0 ? "+" : ""}${(flat * 100).toFixed(1)}%${
        SHORT ? ", enforced in the full run" : ""
      }); ` +
      `fds ${fdBefore} → ${fdAfter}`,
    lost: ok ? "nothing" : "FAILED",
    ok,
  };
}

const scenarios = [burst, fdLimit, slowloris, resets, neverRead, sigtermUnderLoad, soak];
const only = Deno.args.find((a) => !a.startsWith("--"));
const rows: Row[] = [];
for (const scenario of scenarios) {
  if (only && scenario.name !== only) continue;
  const started = performance.now();
  let row: Row;
  try {
    row = await scenario();
  } catch (error) {
    row = { scenario: scenario.name, load: "-", result: String(error), lost: "FAILED", ok: false };
  }
  console.error(
    `${row.ok ? "ok  " : "FAIL"} ${row.scenario} (${
      ((performance.now() - started) / 1000).toFixed(1)
    }s)`,
  );
  rows.push(row);
}
console.log(
  `Stress suite (${SHORT ? "short" : "full"}), ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log("| scenario | load | result | lost |");
console.log("| --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.scenario} | ${r.load} | ${r.result} | ${r.lost} |`);
const failed = rows.filter((r) => !r.ok).length;
console.log(`\n${rows.length - failed} passed, ${failed} failed`);
if (failed > 0) Deno.exitCode = 1;
