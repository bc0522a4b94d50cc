/**
 * `deno task perf:tls`: what TLS costs tcpkit, measured in one run on this machine, as
 * ratios of TLS to plain TCP (figures for BENCHMARKS.md):
 *
 * - echo msgs/s, 64 B and 16 KiB: `tcpkit bench -c 50` vs `tcpkit bench --tls -c 50`,
 *   each against its embedded server (so client and server both pay for TLS);
 * - connections/s: `tcpkit bench --mode connect -c 10` (TCP connect, one 64 B echo,
 *   close) vs the same with `--tls` (full handshakes, no session resumption);
 * - the server-side Nagle problem: sequential TLS connect+echo rounds (`--mode connect
 *   -c 1 --tls`) against `tcpkit serve --tls` and against a plain `Deno.listenTls` echo
 *   server, whose accepted conns cannot turn Nagle off.
 *
 * Rounds alternate the variants so that machine noise hits both; medians are reported.
 * Bounded: about ROUNDS x 8 x SECONDS seconds.
 */

import { cliCommand } from "../tests/helpers.ts";
import { machine, median, run } from "./perf_common.ts";

const SECONDS = Number(Deno.env.get("PERF_SECONDS") ?? 3);
const ROUNDS = Number(Deno.env.get("PERF_ROUNDS") ?? 3);
const cli = cliCommand();

/** `tcpkit bench ARGS --json`: its result, or a failure if it had errors. */
async function bench(args: string[]) {
  const out = await run(cli.command, [...cli.args, "bench", ...args, "--json"], "null");
  const { spec, result } = JSON.parse(out);
  if (result.errors > 0 || result.mismatches > 0) {
    throw new Error(`bench ${args.join(" ")}: ${JSON.stringify(result.error_samples)}`);
  }
  return { spec, result };
}

/** Median msgs/s (and p50/p99 round-trip µs) of plain vs TLS for one bench shape. */
async function compare(label: string, args: string[]) {
  const plain: number[] = [];
  const tls: number[] = [];
  const tlsP50: number[] = [];
  const plainP50: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const p = await bench([...args, "-d", `${SECONDS}s`]);
    const t = await bench([...args, "-d", `${SECONDS}s`, "--tls"]);
    plain.push(p.result.msgs_per_sec);
    tls.push(t.result.msgs_per_sec);
    // connect mode: the connect (over TLS: TCP connect and handshake); echo: the round trip
    const key = args.includes("connect") ? "connect_latency_us" : "latency_us";
    plainP50.push(p.result[key].p50);
    tlsP50.push(t.result[key].p50);
  }
  const [mp, mt] = [median(plain), median(tls)];
  console.log(
    `${label.padEnd(26)} plain ${fmt(mp).padStart(8)}/s  tls ${fmt(mt).padStart(8)}/s  ` +
      `tls/plain ${(mt / mp).toFixed(2)}  (p50 ${Math.round(median(plainP50))} vs ` +
      `${Math.round(median(tlsP50))} µs)`,
  );
}

function fmt(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
}

/** A throwaway TLS echo server on `Deno.listenTls` (Nagle stays on for its conns). */
const DENO_TLS_ECHO = `
const [cert, key] = [Deno.readTextFileSync(Deno.args[0]), Deno.readTextFileSync(Deno.args[1])];
const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
console.log(listener.addr.port);
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(65536);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) {
        for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
      }
    } catch { /* client gone */ }
    try { conn.close(); } catch { /* closed */ }
  })();
}`;

/** Sequential TLS connect+echo rounds per second against a server on `port`. */
async function sequentialRounds(port: number, ca: string): Promise<number> {
  const { result } = await bench([
    `127.0.0.1:${port}`,
    "--mode",
    "connect",
    "-c",
    "1",
    "--workers",
    "1",
    "-d",
    `${SECONDS}s`,
    "--tls",
    "--ca",
    ca,
  ]);
  return result.msgs_per_sec;
}

async function nagle() {
  const dir = await Deno.makeTempDir({ prefix: "tcpkit_tls_perf_" });
  const cert = `${dir}/cert.pem`;
  const tcpkit = new Deno.Command(cli.command, {
    args: [
      ...cli.args,
      "serve",
      "127.0.0.1:0",
      "--tls",
      "--tls-ephemeral",
      "--cert-out",
      cert,
      "-q",
    ],
    stderr: "piped",
    stdout: "null",
  }).spawn();
  try {
    const reader = tcpkit.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let head = "";
    while (!/listening on \S+:(\d+)/.test(head)) head += (await reader.read()).value ?? "";
    const ourPort = Number(/listening on \S+:(\d+)/.exec(head)![1]);
    reader.releaseLock();
    tcpkit.stderr.cancel().catch(() => {});
    // The Deno.listenTls server serves the same kind of certificate: a fresh one.
    const { generateCertificate } = await import("../lib/tls/cert.ts");
    const { parseTlsName } = await import("../lib/tls/names.ts");
    const pair = await generateCertificate(["localhost", "127.0.0.1"].map(parseTlsName));
    await Deno.writeTextFile(`${dir}/deno.pem`, pair.cert);
    await Deno.writeTextFile(`${dir}/key.pem`, pair.key);
    const other = new Deno.Command(Deno.execPath(), {
      args: ["eval", DENO_TLS_ECHO, `${dir}/deno.pem`, `${dir}/key.pem`],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const line = await other.stdout.pipeThrough(new TextDecoderStream()).getReader().read();
      const denoPort = Number(line.value!.trim());
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        ours.push(await sequentialRounds(ourPort, cert));
        theirs.push(await sequentialRounds(denoPort, `${dir}/deno.pem`));
      }
      console.log(
        `sequential TLS connect+echo, 1 connection at a time: tcpkit serve --tls ` +
          `${fmt(median(ours))}/s, Deno.listenTls echo ${fmt(median(theirs))}/s ` +
          `(${(median(ours) / median(theirs)).toFixed(1)}x)`,
      );
    } finally {
      other.kill("SIGKILL");
      await other.status;
    }
  } finally {
    tcpkit.kill("SIGTERM");
    await tcpkit.status;
    await Deno.remove(dir, { recursive: true });
  }
}

console.log(`# tcpkit TLS vs plain TCP, ${await machine()}`);
console.log(`# ${ROUNDS} rounds of ${SECONDS} s each, medians; embedded servers`);
await compare("echo 64 B, -c 50", ["-c", "50", "-s", "64"]);
await compare("echo 16 KiB, -c 50", ["-c", "50", "-s", "16k"]);
await compare("connect (+1 echo), -c 10", ["--mode", "connect", "-c", "10"]);
await nagle();
