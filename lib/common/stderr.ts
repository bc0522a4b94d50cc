/**
 * Line output on stderr for diagnostics, logs and progress. Writes are synchronous and
 * whole, so lines from several Workers never interleave mid-line.
 */

import { writeAllSync } from "./io.ts";

const encoder = new TextEncoder();

/** Writes `line` and a newline to stderr. A closed stderr is ignored. */
export function writeStderrLine(line: string): void {
  const bytes = encoder.encode(line.endsWith("\n") ? line : `${line}\n`);
  try {
    writeAllSync(Deno.stderr, bytes);
  } catch {
    // Nobody is reading diagnostics any more; the work itself goes on.
  }
}
