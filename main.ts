/**
 * tcpkit entry point: parse argv, run the command, map errors to exit codes.
 * The only place that exits the process.
 */

import { helpWidth, runInvocation } from "./lib/cli/dispatch.ts";
import { helpText } from "./lib/cli/help.ts";
import { parseCli, usageHint } from "./lib/cli/parse.ts";
import { exitCodeFor, UsageError } from "./lib/common/errors.ts";
import { writeStderrLine } from "./lib/common/stderr.ts";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    writeStderrLine(helpText("tcpkit", helpWidth(Deno.stderr)));
    return 2;
  }
  try {
    return await runInvocation(parseCli(argv));
  } catch (error) {
    // A closed stdout (`tcpkit ... | head -c 10`) ends the command quietly, as for cat.
    if (error instanceof Deno.errors.BrokenPipe) return 0;
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof UsageError ? ` (see '${usageHint(argv)}')` : "";
    writeStderrLine(`tcpkit: ${message.split("\n")[0]}${hint}`);
    if (Deno.env.get("TCPKIT_DEBUG") && error instanceof Error) writeStderrLine(error.stack ?? "");
    return exitCodeFor(error);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
