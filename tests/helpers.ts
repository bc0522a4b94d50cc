/**
 * Test helpers: run the real CLI as a subprocess with exactly the flags of the
 * `tcpkit` task in deno.json (so a missing permission fails here as it would in the
 * compiled binary), read its stderr lines, and start a `tcpkit serve` on port 0.
 */

import denoJson from "../deno.json" with { type: "json" };

export const ROOT = new URL("..", import.meta.url).pathname;

/** argv for the CLI: the `tcpkit` task with `deno` replaced by this Deno binary. */
export function cliCommand(): { command: string; args: string[] } {
  const [deno, ...args] = denoJson.tasks.tcpkit.split(/\s+/);
  if (deno !== "deno") throw new Error("the tcpkit task must start with deno");
  return { command: Deno.execPath(), args };
}

export interface CliResult {
  code: number;
  stdout: Uint8Array;
  stdoutText: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: Uint8Array | string;
  env?: Record<string, string>;
  /** Kill the process if it runs longer than this (a hang is a test failure). */
  timeoutMs?: number;
}

/**
 * Runs the CLI to completion and collects its output. Stdin is fed while stdout is
 * read, so an echo bigger than the pipe buffers cannot deadlock.
 */
export async function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, { env: options.env, stdin: options.stdin !== undefined });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timer = setTimeout(() => killQuietly(child, "SIGKILL"), timeoutMs);
  try {
    const feeding = (async () => {
      if (options.stdin === undefined) return;
      const writer = child.stdin.getWriter();
      const data = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      await writer.write(data).catch(() => {});
      await writer.close().catch(() => {});
    })();
    const [output] = await Promise.all([child.output(), feeding]);
    return {
      code: output.code,
      stdout: output.stdout,
      stdoutText: new TextDecoder().decode(output.stdout),
      stderr: new TextDecoder().decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Spawns the CLI with piped stdout/stderr (and stdin when asked). */
export function spawnCli(
  args: string[],
  options: { env?: Record<string, string>; stdin?: boolean } = {},
): Deno.ChildProcess {
  const { command, args: base } = cliCommand();
  return new Deno.Command(command, {
    args: [...base, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads a child's stderr line by line while keeping everything it wrote. */
export class LineReader {
  lines: string[] = [];
  #waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>) {
    let partial = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const line of parts) this.#push(line);
    }
    if (partial) this.#push(partial);
    for (const w of this.#waiters) w.resolve(null as unknown as RegExpMatchArray);
  }

  #push(line: string) {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      const match = line.match(w.re);
      if (match) w.resolve(match);
      return !match;
    });
  }

  /** Resolves with the first line (past or future) matching `re`; rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const match = line.match(re);
      if (match) return Promise.resolve(match);
    }
    let timer: ReturnType<typeof setTimeout>;
    return Promise.race([
      new Promise<RegExpMatchArray>((resolve) => this.#waiters.push({ re, resolve })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no line matching ${re} in:\n${this.lines.join("\n")}`)),
          timeoutMs,
        );
      }),
    ]).then((match) => {
      clearTimeout(timer);
      if (match === null) throw new Error(`stream ended before ${re}:\n${this.lines.join("\n")}`);
      return match;
    });
  }

  get text(): string {
    return this.lines.join("\n");
  }
}

/** A running `tcpkit serve` subprocess. */
export interface ServeProcess {
  child: Deno.ChildProcess;
  port: number;
  /** The address it printed in its `listening on` line. */
  address: string;
  stderr: LineReader;
  /** Sends a signal (default SIGTERM) and waits for exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Starts `tcpkit serve ARGS` (default address `127.0.0.1:0`) and waits until it listens. */
export async function startServe(
  args: string[] = ["127.0.0.1:0"],
  env?: Record<string, string>,
): Promise<ServeProcess> {
  const child = spawnCli(["serve", ...args], { env });
  const stderr = new LineReader(child.stderr);
  const stdoutDone = child.stdout.cancel();
  let match: RegExpMatchArray;
  try {
    match = await stderr.waitFor(/listening on (\S+)|"event":"listening".*"address":"([^"]+)"/);
  } catch (error) {
    killQuietly(child, "SIGKILL");
    await child.status;
    await stderr.done;
    await stdoutDone;
    throw error;
  }
  const address = match[1] ?? match[2];
  const port = Number(/:(\d+)$/.exec(address)?.[1] ?? 0);
  return {
    child,
    port,
    address,
    stderr,
    async stop(signal: Deno.Signal = "SIGTERM") {
      killQuietly(child, signal);
      const status = await child.status;
      await stderr.done;
      await stdoutDone;
      return status.code;
    },
  };
}

/** Leaves a socket file nobody listens on at `path`, as a server killed with SIGKILL does. */
export async function makeStaleSocket(path: string): Promise<void> {
  const server = await startServe([`unix:${path}`, "--quiet"]);
  await server.stop("SIGKILL");
  const info = await Deno.lstat(path);
  if (!info.isSocket) throw new Error(`a SIGKILLed server left no socket file at ${path}`);
}

/** Sends a signal unless the process has already exited. */
export function killQuietly(child: Deno.ChildProcess, signal: Deno.Signal = "SIGTERM"): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/** Random bytes of any length (crypto.getRandomValues fills at most 64 KiB at a time). */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, length)));
  }
  return bytes;
}

/** Hex SHA-256 of some bytes. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
