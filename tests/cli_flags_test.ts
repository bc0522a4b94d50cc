/**
 * How flags are spelled and read (lib/cli/flags.ts): the strict rules kept around
 * @std/cli's permissive parseArgs. Table-driven through parseCli, the real entry point.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { type Invocation, parseCli } from "../lib/cli/parse.ts";
import { UsageError } from "../lib/common/errors.ts";

function options(argv: string[]): Record<string, unknown> {
  const invocation = parseCli(argv) as Exclude<
    Invocation,
    { command: "help" | "version" | "completions" }
  >;
  return invocation.options as unknown as Record<string, unknown>;
}

/** Picks `keys` out of the options `argv` parses into. */
function pick(argv: string[], keys: string[]): Record<string, unknown> {
  const all = options(argv);
  return Object.fromEntries(keys.map((k) => [k, all[k]]));
}

Deno.test("every spelling of a value flag means the same", () => {
  const spellings = [
    ["-c", "5"],
    ["-c5"],
    ["-c=5"],
    ["--connections", "5"],
    ["--connections=5"],
  ];
  for (const flag of spellings) {
    assertEquals(pick(["bench", ...flag], ["connections"]), { connections: 5 }, flag.join(" "));
  }
  // Attached values that are not numbers, and a value flag ending a cluster of booleans.
  assertEquals(pick(["bench", "-s16k", "-d1.5s"], ["sizeBytes", "durationMs"]), {
    sizeBytes: 16384,
    durationMs: 1500,
  });
  assertEquals(pick(["connect", "-zvw2s", ":1"], ["check", "verbose", "timeoutMs"]), {
    check: true,
    verbose: true,
    timeoutMs: 2000,
  });
  assertEquals(pick(["connect", "-zw", "2s", ":1"], ["check", "timeoutMs"]), {
    check: true,
    timeoutMs: 2000,
  });
  // Only the first "=" after a short flag is the separator.
  assertThrows(() => parseCli(["connect", "-w==1s", ":1"]), UsageError, '"=1s"');
});

Deno.test("values are taken verbatim", () => {
  const table: [string[], unknown][] = [
    [["--send", "a=b"], ["a=b"]],
    [["--send=a=b"], ["a=b"]],
    [["--send==x"], ["=x"]],
    [["--send=-x"], ["-x"]],
    [["--send=--"], ["--"]],
    [["--send", "x\ny"], ["x\ny"]],
    [["--send=x\ny"], ["x\ny"]],
    [["--send", " "], [" "]],
    [["--send", "true"], ["true"]],
    [["--send", "0x10"], ["0x10"]],
    [["--send", "__proto__"], ["__proto__"]],
    [["--send", ""], [""]], // an empty line is a legitimate request
    [["--send="], [""]],
    [["--send", "日本"], ["日本"]],
  ];
  for (const [flags, send] of table) {
    assertEquals(pick(["connect", ...flags, ":1"], ["send"]), { send }, JSON.stringify(flags));
  }
  // "-" alone is a value (stdin), not a flag.
  assertEquals(pick(["connect", "--send-file", "-", ":1"], ["sendFile"]), { sendFile: "-" });
  // Arguments stay strings: no number conversion, no hex.
  assertThrows(() => parseCli(["serve", "0x10"]), UsageError, '"0x10"');
});

Deno.test("repeatable flags collect in order; others keep the last value", () => {
  assertEquals(pick(["connect", "--send", "a", "--send=b", "--send", "c", ":1"], ["send"]), {
    send: ["a", "b", "c"],
  });
  assertEquals(pick(["serve", "--mode", "discard", "--mode=source"], ["mode"]), {
    mode: "source",
  });
  assertEquals(pick(["bench", "-c", "3", "--connections=4", "-c5"], ["connections"]), {
    connections: 5,
  });
  assertEquals(pick(["serve", "-q", "--quiet", "-qq"], ["quiet"]), { quiet: true });
  // The last value is the one checked: an earlier bad one is overridden, a later one is not.
  assertEquals(pick(["serve", "--workers", "0", "--workers", "2"], ["workers"]), { workers: 2 });
  assertThrows(
    () => parseCli(["serve", "--workers", "2", "--workers", "0"]),
    UsageError,
    '"0" must be at least 1',
  );
});

Deno.test("-- ends the flags; flags and arguments mix before it", () => {
  assertEquals(pick(["serve", "-q", "--", ":0"], ["quiet", "address"]), {
    quiet: true,
    address: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
  });
  assertEquals(pick(["serve", ":0", "-q"], ["quiet"]), { quiet: true });
  assertThrows(() => parseCli(["serve", "--", "--quiet"]), UsageError, '"--quiet"');
  assertThrows(() => parseCli(["serve", "--", ":1", "--"]), UsageError, 'unexpected argument "--"');
  assertEquals(pick(["connect", "--send", "x", "--", ":1"], ["send"]), { send: ["x"] });
});

Deno.test("booleans never take the next word, and cannot be negated", () => {
  // parseArgs alone would read `-q false` as quiet=false; here "false" is the address.
  assertThrows(() => parseCli(["serve", "-q", "false"]), UsageError, '"false"');
  assertThrows(() => parseCli(["serve", "--stdio", "true"]), UsageError, '"true"');
  assertThrows(() => parseCli(["serve", "--no-stdio"]), UsageError, 'unknown flag "--no-stdio"');
  // A flag whose own name starts with no- is an ordinary boolean.
  assertEquals(pick(["connect", "--no-half-close", ":1"], ["halfClose"]), { halfClose: false });
});
