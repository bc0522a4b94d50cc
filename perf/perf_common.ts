/**
 * Helpers shared by the perf scripts: the reference C tools, running a tool for its
 * output, a free loopback port and waiting for a listener, a fresh reference server per
 * measurement, medians, the load average, and the machine line every benchmark record
 * starts with.
 */

import { sleep } from "../lib/common/time.ts";

/** The repository root: tools run from here, as `deno task` runs them. */
const ROOT = new URL("..", import.meta.url).pathname;

/** Builds the reference C tools (`../shared/tools`, or `TOOLS_DIR`) and returns their directory. */
export async function referenceTools(): Promise<string> {
  const toolsDir = Deno.env.get("TOOLS_DIR") ??
    new URL("../../shared/tools/", import.meta.url).pathname;
  return await run("bash", [`${toolsDir}/build.sh`]);
}

/** Runs `cmd` to completion and returns its trimmed stdout; throws if it fails. */
export async function run(
  cmd: string,
  args: string[],
  stderr: "inherit" | "null" = "inherit",
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stderr }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${text}`);
  return text;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Resolves once something accepts on 127.0.0.1:`port`; throws after about 5 s. */
export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`nothing listening on ${port}`);
}

/**
 * Runs `fn` against a fresh reference C `echo_server` (echo, or `discard`) on a free port;
 * `prefix` goes before its command (e.g. `taskset -c 0`).
 */
export async function withServer<T>(
  ref: string,
  fn: (port: number) => Promise<T>,
  { discard = false, prefix = [] as string[] } = {},
): Promise<T> {
  const port = freePort();
  const argv = [...prefix, `${ref}/echo_server`, String(port), ...(discard ? ["discard"] : [])];
  const child = new Deno.Command(argv[0], { args: argv.slice(1), stdout: "null", stderr: "null" })
    .spawn();
  try {
    await waitForPort(port);
    return await fn(port);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/** The 1, 5 and 15 minute load averages, as `/proc/loadavg` shows them. */
export function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/** The median; for an even count, the mean of the middle two. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Cores, CPU model, memory, OS and Deno version, for the benchmark record. */
export async function machine(): Promise<string> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const cpu = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const kib = Number(/MemTotal:\s*(\d+)/.exec(meminfo)?.[1] ?? 0);
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${Math.round(kib / 1024 ** 2)} GiB, ` +
    `deno ${Deno.version.deno}, ${Deno.build.os}`;
}
