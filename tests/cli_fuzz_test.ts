/**
 * Randomized bad-input test: generated argument lists thrown at the parser (thousands,
 * in-process) and at the real CLI (a bounded sample, as subprocesses). Every outcome is
 * a typed invocation or a one-line usage error: exit 2, nothing on stdout, no stack
 * trace, no hang. The seed is printed so a failure can be replayed (FUZZ_SEED=N).
 */

import { assert, assertEquals } from "@std/assert";
import { COMMANDS } from "../lib/cli/declaration.ts";
import { parseCli } from "../lib/cli/parse.ts";
import { UsageError } from "../lib/common/errors.ts";
import { runCli } from "./helpers.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? Date.now() % 1_000_000);

/** Small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES = [
  "",
  "0",
  "-1",
  "1",
  "50",
  "1.5",
  "1e3",
  "99999999999999999999",
  "abc",
  "ü",
  "日本",
  "\u0000",
  "10s",
  "0s",
  "250ms",
  "-5s",
  "1d",
  "64",
  "4k",
  "16KiB",
  "1MiB",
  "9999g",
  "x",
  "--",
  "-",
  ":",
  "host:",
  "[::1",
  "1.2.3.4:70000",
  "unix:",
  "99999",
  "127.0.0.1:1",
  "[::1]:1",
  ":0",
  "echo",
  "json",
  "text",
  "stream",
  "10.0.0.0/8",
  "::1/129",
  " ",
  "\t",
  "a b",
];

/** Flag-like words that are wrong somewhere: unknown, negated, clustered, misplaced. */
const BAD_FLAGS = [
  "--bogus",
  "-Q",
  "--help=1",
  "---",
  "--mode=",
  "-zz",
  "-zv",
  "-zw",
  "-qh",
  "-w",
  "-c5x",
  "-q=1",
  "--no-quiet",
  "--no-half-close=1",
  "--=",
  "--",
];

function generate(next: () => number): string[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const command = next() < 0.1 ? pick(["", "serv", "help", "--x", "-h"]) : pick(COMMANDS).name;
  const spec = COMMANDS.find((c) => c.name === command);
  const args = [command];
  const count = Math.floor(next() * 5);
  for (let i = 0; i < count; i++) {
    const roll = next();
    if (roll < 0.55 && spec) {
      const flag = pick(spec.flags);
      const name = flag.short && next() < 0.3 ? `-${flag.short}` : `--${flag.name}`;
      if (flag.kind === "boolean") args.push(next() < 0.8 ? name : `${name}=${pick(VALUES)}`);
      else if (next() < 0.15) args.push(name); // missing value
      else if (next() < 0.5) args.push(`${name}=${pick(VALUES)}`);
      else if (name.length === 2 && next() < 0.3) args.push(`${name}${pick(VALUES)}`); // -c5
      else args.push(name, pick(VALUES));
    } else if (roll < 0.7) {
      args.push(pick(BAD_FLAGS));
    } else {
      args.push(pick(VALUES));
    }
  }
  return args;
}

Deno.test(`parser fuzz: typed result or one-line UsageError (seed ${SEED})`, () => {
  const next = random(SEED);
  for (let i = 0; i < 5000; i++) {
    const argv = generate(next);
    try {
      const invocation = parseCli(argv);
      assert(typeof invocation.command === "string");
    } catch (error) {
      assert(error instanceof UsageError, `${JSON.stringify(argv)} threw ${error}`);
      const message = (error as Error).message;
      assert(message.length > 0 && message.length < 300, message);
      assert(!message.includes("\n") || argv.some((a) => a.includes("\n")), message);
    }
  }
});

Deno.test(`CLI fuzz: invalid argument lists exit 2 with one line (seed ${SEED})`, async () => {
  const next = random(SEED + 1);
  const invalid: string[][] = [];
  while (invalid.length < 24) {
    const argv = generate(next);
    if (argv.some((a) => a.includes("\0"))) continue; // no process can receive a NUL
    try {
      parseCli(argv);
    } catch {
      invalid.push(argv);
    }
  }
  for (let i = 0; i < invalid.length; i += 8) {
    await Promise.all(
      invalid.slice(i, i + 8).map(async (argv) => {
        const result = await runCli(argv, { timeoutMs: 15_000 });
        const label = JSON.stringify(argv);
        assertEquals(result.code, 2, `${label}: ${result.stderr}`);
        assertEquals(result.stdoutText, "", label);
        const lines = result.stderr.trimEnd().split("\n");
        assertEquals(lines.length, 1, `${label}: ${result.stderr}`);
        assert(!/\n\s+at /.test(result.stderr), `${label}: stack trace`);
      }),
    );
  }
});
