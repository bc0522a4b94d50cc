/**
 * The README's fenced code blocks, where each starts, and the marker that may stand right
 * above one: `<!-- readme-test: skip (REASON) -->`, an HTML comment (invisible on GitHub)
 * saying why tests/readme_run_test.ts does not run that block. Shared by the test that
 * parses every `tcpkit` command in the README and the test that runs the examples.
 */

import { ROOT } from "./helpers.ts";

export interface ReadmeBlock {
  /** The fence's info string: `sh`, `text`, … */
  lang: string;
  /** README line (1-based) of the block's first line of code. */
  line: number;
  /** The lines of code, without the fences. */
  lines: string[];
  /** The reason of a skip marker right above the block. */
  skip?: string;
}

/** Info strings of shell blocks. */
export const SHELL_LANGS = new Set(["sh", "bash", "shell"]);

const MARKER = /^<!-- readme-test: skip \((.+)\) -->$/;

/** Splits markdown into its fenced blocks; a malformed or misplaced marker throws. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split("\n");
  const blocks: ReadmeBlock[] = [];
  let marker: { reason: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (text.includes("readme-test")) {
      const match = MARKER.exec(text);
      if (!match || marker) {
        throw new Error(`README.md:${i + 1}: expected one "<!-- readme-test: skip (REASON) -->"`);
      }
      marker = { reason: match[1], line: i + 1 };
      continue;
    }
    const fence = /^```(\S*)$/.exec(text);
    if (fence) {
      const end = lines.indexOf("```", i + 1);
      if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
      if (marker && !SHELL_LANGS.has(fence[1])) {
        throw new Error(`README.md:${marker.line}: a skip marker above a non-shell block`);
      }
      blocks.push({
        lang: fence[1],
        line: i + 2,
        lines: lines.slice(i + 1, end),
        skip: marker?.reason,
      });
      marker = undefined;
      i = end;
    } else if (marker && text.trim() !== "") {
      throw new Error(
        `README.md:${marker.line}: a skip marker must stand right above a code block`,
      );
    }
  }
  return blocks;
}

export const README = await Deno.readTextFile(`${ROOT}README.md`);
