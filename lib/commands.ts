/**
 * Runs a parsed invocation: wires signals, stdout and stderr to the command
 * implementations and returns the exit code. The edge between the CLI and the I/O.
 */

import type { Invocation, ServeOptions } from "./cli.ts";
import { runBench } from "./bench.ts";
import { runConnect } from "./connect.ts";
import { serve, stderrLogger } from "./serve.ts";
import { serveStdio } from "./stdio_bridge.ts";
import denoJson from "../deno.json" with { type: "json" };

/** `tcpkit --version` output. */
export function versionText(): string {
  return `tcpkit ${denoJson.version} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`;
}

/** Runs the invocation; resolves to the process exit code. */
export async function runInvocation(invocation: Invocation): Promise<number> {
  switch (invocation.command) {
    case "help":
      await writeStdout(invocation.text);
      return 0;
    case "version":
      await writeStdout(versionText());
      return 0;
    case "serve":
      return invocation.options.stdio
        ? await serveStdio(invocation.options)
        : await runServe(invocation.options);
    case "connect":
      return await runConnect(invocation.options);
    case "bench":
      return await runBench(invocation.options);
  }
}

async function runServe(options: ServeOptions): Promise<number> {
  const log = stderrLogger(options.log, options.quiet);
  const stop = new AbortController();
  const force = new AbortController();
  const onSignal = () => (stop.signal.aborted ? force : stop).abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  signals.forEach((s) => Deno.addSignalListener(s, onSignal));
  try {
    const summary = await serve(options, { log, stop: stop.signal, force: force.signal });
    log({ event: "summary", ...summary });
    return 0;
  } finally {
    signals.forEach((s) => Deno.removeSignalListener(s, onSignal));
  }
}

async function writeStdout(text: string) {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += await Deno.stdout.write(bytes.subarray(offset));
}
