/**
 * `deno task perf:variants`: is there a faster way to echo on `Deno.listen`? Runs
 * several echo loops written differently, each in its own Deno process pinned to core 0,
 * and measures them with the reference C client pinned to core 1 (`taskset`), next to
 * the C epoll server and `tcpkit serve` pinned the same way. Evidence for the serve
 * speed analysis in BENCHMARKS.md; rerun it on a new Deno version.
 *
 * Env: SECONDS_PER_RUN (default 3). Loopback only; every process is stopped at the end.
 */

import { cliCommand, ROOT } from "../tests/helpers.ts";
import { writeAll } from "../lib/common/io.ts";
import { freePort, referenceTools, run, waitForPort } from "./perf_common.ts";

const SECONDS = Number(Deno.env.get("SECONDS_PER_RUN") ?? 3);
const SIZES = [64, 16 * 1024];

/** The echo loops compared; each serves one connection until its EOF. */
const VARIANTS: Record<string, (conn: Deno.Conn) => Promise<void>> = {
  /** One 256 KiB buffer, await read, await write. */
  async "fixed buffer"(conn) {
    const buf = new Uint8Array(256 * 1024);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      await writeAll(conn, buf.subarray(0, n));
    }
  },
  /** Reads the next message while the previous echo is still being written. */
  async "read during write"(conn) {
    const bufs = [new Uint8Array(64 * 1024), new Uint8Array(64 * 1024)];
    let writing = Promise.resolve();
    for (let i = 0;; i ^= 1) {
      const n = await conn.read(bufs[i]);
      if (n === null) break;
      await writing;
      writing = writeAll(conn, bufs[i].subarray(0, n));
    }
    await writing;
  },
  /** Promise callbacks instead of an async function. */
  "then callbacks"(conn) {
    const buf = new Uint8Array(64 * 1024);
    return new Promise<void>((resolve, reject) => {
      const onRead = (n: number | null) => {
        if (n === null) return resolve();
        writeAll(conn, buf.subarray(0, n)).then(() => conn.read(buf).then(onRead, reject), reject);
      };
      conn.read(buf).then(onRead, reject);
    });
  },
};

async function serveVariant(name: string, port: number) {
  const loop = VARIANTS[name];
  for await (const conn of Deno.listen({ hostname: "127.0.0.1", port })) {
    conn.setNoDelay(true);
    loop(conn).catch(() => {}).finally(() => conn.close());
  }
}

async function main() {
  const refDir = await referenceTools();
  const cli = cliCommand();
  const self = new URL(import.meta.url).pathname;
  const candidates: { name: string; argv: string[] }[] = [
    {
      name: "tcpkit serve",
      argv: [cli.command, ...cli.args, "serve", "127.0.0.1:PORT", "--quiet"],
    },
    ...Object.keys(VARIANTS).map((name) => ({
      name,
      argv: [Deno.execPath(), "run", "-A", self, "--serve", name, "PORT"],
    })),
    {
      name: "serve --workers 2",
      argv: [cli.command, ...cli.args, "serve", "127.0.0.1:PORT", "--quiet", "--workers", "2"],
    },
  ];
  const echoBench = async (port: number, size: number) => {
    const line = await run("taskset", [
      "-c",
      "1",
      `${refDir}/echo_bench`,
      String(port),
      "50",
      String(size),
      String(SECONDS),
    ]);
    return Number(/msgs\/s (\d+)/.exec(line)![1]);
  };
  console.log(`Command: deno task perf:variants (${SECONDS} s per run, 50 connections)`);
  console.log("Server pinned to core 0 (taskset -c 0), echo_bench to core 1. The C epoll");
  console.log("server is measured right before each candidate, size by size.\n");
  console.log("| server | 64 B msgs/s (C) | 16 KiB msgs/s (C) | vs C: 64 B / 16 KiB |");
  console.log("| --- | --- | --- | --- |");
  const refPort = freePort();
  const ref = pinned([`${refDir}/echo_server`, String(refPort)]);
  try {
    await waitForPort(refPort);
    for (const candidate of candidates) {
      const port = freePort();
      const child = pinned(candidate.argv.map((a) => a.replace("PORT", String(port))));
      try {
        await waitForPort(port);
        const cells: string[] = [];
        const ratios: string[] = [];
        for (const size of SIZES) {
          const c = await echoBench(refPort, size);
          const mine = await echoBench(port, size);
          cells.push(`${mine} (${c})`);
          ratios.push(`${(mine / c).toFixed(2)}×`);
        }
        console.log(`| ${candidate.name} | ${cells.join(" | ")} | ${ratios.join(" / ")} |`);
      } finally {
        child.kill("SIGKILL");
        await child.status;
      }
    }
  } finally {
    ref.kill("SIGKILL");
    await ref.status;
  }
}

/** A server process on core 0, its output dropped. */
function pinned(argv: string[]): Deno.ChildProcess {
  return new Deno.Command("taskset", {
    args: ["-c", "0", ...argv],
    cwd: ROOT,
    stdout: "null",
    stderr: "null",
  }).spawn();
}

if (Deno.args[0] === "--serve") await serveVariant(Deno.args[1], Number(Deno.args[2]));
else await main();
