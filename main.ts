/**
 * tcpkit entry point: parse argv, run the command, map errors to exit codes.
 * The only place that exits the process.
 */

import { fatalErrorLine, helpWidth, runInvocation, stderrFormat } from "./lib/cli/dispatch.ts";
import { helpText } from "./lib/cli/help.ts";
import { type Invocation, parseCli, usageHint } from "./lib/cli/parse.ts";
import { exitCodeFor, UsageError } from "./lib/common/errors.ts";
import { writeStderrLine } from "./lib/common/stderr.ts";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    writeStderrLine(helpText("tcpkit", helpWidth(Deno.stderr)));
    return 2;
  }
  let invocation: Invocation | undefined;
  try {
    invocation = parseCli(argv);
    return await runInvocation(invocation);
  } catch (error) {
    // A closed stdout (`tcpkit ... | head -c 10`) ends the command quietly, as for cat.
    if (error instanceof Deno.errors.BrokenPipe) return 0;
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof UsageError ? ` (see '${usageHint(argv)}')` : "";
    const code = exitCodeFor(error);
    const stack = Deno.env.get("TCPKIT_DEBUG") && error instanceof Error ? error.stack : undefined;
    const format = stderrFormat(argv, invocation);
    writeStderrLine(fatalErrorLine(`${message.split("\n")[0]}${hint}`, code, format, stack));
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
