/**
 * Runs a parsed invocation: wires signals, stdout and stderr to the command
 * implementations and returns the exit code. The edge between the CLI and the I/O.
 */

import { HELP_WIDTH, helpText } from "./help.ts";
import { defaultServeOptions, type Invocation } from "./parse.ts";
import type { ServeOptions } from "../serve/options.ts";
import { writeAll } from "../common/io.ts";
import denoJson from "../../deno.json" with { type: "json" };

// Each command's modules load only when it runs (static specifiers, so `deno compile`
// still bundles them): a server holding 10k connections does not carry bench's code.

/** `tcpkit --version` output. */
function versionText(): string {
  return `tcpkit ${denoJson.version} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`;
}

/**
 * The width help is laid out for on `stream`: the terminal's columns when it is one,
 * HELP_WIDTH otherwise (a pipe or file has no width; 100 reads well and diffs stably).
 */
export function helpWidth(stream: { isTerminal(): boolean } = Deno.stdout): number {
  if (!stream.isTerminal()) return HELP_WIDTH;
  try {
    const { columns } = Deno.consoleSize();
    return columns > 0 ? columns : HELP_WIDTH;
  } catch {
    return HELP_WIDTH; // A terminal that cannot report its size still gets readable help.
  }
}

/** Runs the invocation; resolves to the process exit code. */
export async function runInvocation(invocation: Invocation): Promise<number> {
  switch (invocation.command) {
    case "help":
      await writeStdout(helpText(invocation.topic, helpWidth()));
      return 0;
    case "version":
      await writeStdout(versionText());
      return 0;
    case "serve":
      if (invocation.options.stdio) {
        const { serveStdio } = await import("../serve/stdio.ts");
        return await serveStdio(invocation.options);
      }
      return await runServe(invocation.options);
    case "connect": {
      const { runConnect } = await import("../connect/connect.ts");
      return await runConnect(invocation.options);
    }
    case "bench": {
      const { runBench } = await import("../bench/bench.ts");
      return await runBench(invocation.options, defaultServeOptions());
    }
    case "bench merge": {
      const { runMerge } = await import("../bench/artifacts.ts");
      return await runMerge(invocation.options);
    }
    case "bench compare": {
      const { runCompare } = await import("../bench/artifacts.ts");
      return await runCompare(invocation.options);
    }
    case "bench plot": {
      const { runPlot } = await import("../bench/artifacts.ts");
      return await runPlot(invocation.options);
    }
    case "completions": {
      const { completionScript } = await import("./completions.ts");
      await writeStdout(completionScript(invocation.shell));
      return 0;
    }
  }
}

async function runServe(options: ServeOptions): Promise<number> {
  const { serve, stderrLogger } = await import("../serve/serve.ts");
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

function writeStdout(text: string): Promise<void> {
  return writeAll(Deno.stdout, new TextEncoder().encode(text));
}
