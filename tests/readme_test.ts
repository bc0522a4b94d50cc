/**
 * The README cannot rot: every `tcpkit ...` command in its shell code blocks must parse
 * with the real CLI declaration (flags, values and addresses that exist), and every
 * `deno task NAME` it mentions must exist in deno.json.
 */

import { assert } from "@std/assert";
import { parseCli } from "../lib/cli/parse.ts";
import denoJson from "../deno.json" with { type: "json" };
import { README as readme, readmeBlocks, SHELL_LANGS } from "./readme_blocks.ts";

const blocks = readmeBlocks(readme)
  .filter((block) => SHELL_LANGS.has(block.lang))
  .map((block) => block.lines.join("\n"));

/** Splits a shell command into words, honouring single and double quotes. */
function words(command: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of command.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Each `tcpkit ...` invocation in a line, cut at pipes, redirections and comments. */
function invocations(line: string): string[][] {
  const found: string[][] = [];
  const code = line.replace(/\s+#.*$/, "");
  for (const segment of code.split(/\||&&|;|\$\(/)) {
    const at = segment.search(/(^|\s)tcpkit\s/);
    if (at < 0) continue;
    const argv = words(
      segment.slice(at).trim().replace(/\s[0-9]?[<>].*$/, "").replace(/\)\s*$/, ""),
    );
    found.push(argv.slice(1).filter((w) => w !== "&"));
  }
  return found;
}

Deno.test("every tcpkit command in the README parses", () => {
  let checked = 0;
  for (const block of blocks) {
    for (const line of block.replace(/\\\n/g, " ").split("\n")) {
      for (const argv of invocations(line)) {
        if (argv.some((w) => w.includes("$") || /^[A-Z]+(:|$)/.test(w))) continue; // placeholders
        try {
          parseCli(argv);
        } catch (error) {
          throw new Error(`README: "tcpkit ${argv.join(" ")}": ${(error as Error).message}`);
        }
        checked++;
      }
    }
  }
  assert(checked >= 20, `only ${checked} README commands found`);
});

Deno.test("every deno task in the README exists", () => {
  const tasks = Object.keys(denoJson.tasks);
  for (const m of readme.matchAll(/deno task ([a-z:]+)/g)) {
    assert(tasks.includes(m[1]), `README mentions missing task "${m[1]}"`);
  }
});
