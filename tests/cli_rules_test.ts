/**
 * Each command's cross-flag rules (the options builders in lib/serve, lib/connect and
 * lib/bench), through the real parser: every combination a rule forbids is a usage error
 * naming it, and the nearest allowed combinations build the expected options.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { type Invocation, parseCli } from "../lib/cli/parse.ts";
import { UsageError } from "../lib/common/errors.ts";

/** argv and a substring of the usage error it must raise. */
type Refused = [argv: string[], error: string];
/** argv and some of the options it must build (compared key by key). */
type Accepted = [argv: string[], expected: Record<string, unknown>];

function check(refused: Refused[], accepted: Accepted[]) {
  for (const [argv, error] of refused) {
    assertThrows(() => parseCli(argv), UsageError, error, argv.join(" "));
  }
  for (const [argv, expected] of accepted) {
    const invocation = parseCli(argv) as Extract<Invocation, { options: unknown }>;
    const options = invocation.options as unknown as Record<string, unknown>;
    const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, options[k]]));
    assertEquals(actual, expected, argv.join(" "));
  }
}

Deno.test("serve: cross-flag rules", () => {
  check(
    [
      [["serve", "unix:/tmp/x.sock", "--workers", "2"], "--workers needs a TCP address"],
      [["serve", "--stdio", "--workers", "2"], "--stdio serves one connection"],
      [["serve", "--keep-sending"], "--keep-sending needs --stdio"],
      [["serve", ":0", "--keep-sending", "--workers", "2"], "--keep-sending needs --stdio"],
      [["serve", "--stdio", "--mode", "discard"], "cannot be combined with --mode"],
      [["serve", "--stdio", "--mode=source"], "cannot be combined with --mode"],
    ],
    [
      [["serve", "unix:/tmp/x.sock", "--workers", "1"], { workers: 1 }],
      [["serve", ":0", "--workers", "4"], { workers: 4 }],
      [["serve", "--stdio", "--workers", "1"], { stdio: true, workers: 1 }],
      [["serve", "--stdio", "--keep-sending"], { stdio: true, keepSending: true }],
      [["serve", "--stdio", "--mode", "echo"], { stdio: true, mode: "echo" }],
      [["serve", "--mode", "discard", "--workers", "2"], { mode: "discard", workers: 2 }],
    ],
  );
});

Deno.test("serve --forward: cross-flag rules", () => {
  const target = { transport: "tcp", hostname: "127.0.0.1", port: 9000 };
  const forward = (extra: Record<string, unknown> = {}) => ({
    mode: "forward",
    forward: { target, connectTimeoutMs: 5000, dump: undefined, ...extra },
  });
  check(
    [
      [["serve", "--connect-timeout", "1s"], "--connect-timeout needs --forward"],
      [["serve", "--dump"], "--dump needs --forward"],
      [["serve", "--dump-file", "d.txt"], "--dump-file needs --forward"],
      [["serve", "--forward", ":9000", "--mode", "echo"], "cannot be combined with --mode"],
      [["serve", "--forward", ":9000", "--stdio"], "cannot be combined with --forward"],
      [["serve", "--forward", ":9000", "--dump", "--dump-file", "d"], "either --dump (stderr)"],
      [["serve", "--forward", ":0"], 'invalid value for --forward: address ":0" has port 0'],
      [["serve", "--forward", "a b:1"], "invalid value for --forward"],
      [["serve", "--forward", "unix:"], "invalid value for --forward"],
      [["serve", ":9000", "--forward", ":9000"], "is the listening address"],
      [["serve", "0.0.0.0:9000", "--forward", "localhost:9000"], "is the listening address"],
      [["serve", "unix:/tmp/r.sock", "--forward", "unix:/tmp/r.sock"], "is the listening address"],
      [["serve", "--forward", ":9000", "--connect-timeout", "0s"], "must be at least 1ms"],
    ],
    [
      [["serve", ":8080", "--forward", ":9000"], forward()],
      [["serve", ":9000", "--forward", "127.0.0.2:9000"], {
        forward: {
          target: { ...target, hostname: "127.0.0.2" },
          connectTimeoutMs: 5000,
          dump: undefined,
        },
      }],
      [["serve", "--forward", ":9000", "--connect-timeout", "250ms"], {
        forward: { target, connectTimeoutMs: 250, dump: undefined },
      }],
      [["serve", "--forward", ":9000", "--dump"], forward({ dump: { to: "stderr" } })],
      [["serve", "--forward", ":9000", "--dump-file", "d.txt"], {
        forward: { target, connectTimeoutMs: 5000, dump: { to: "file", path: "d.txt" } },
      }],
      [["serve", "--forward", "unix:/run/app.sock", "--workers", "2"], {
        mode: "forward",
        workers: 2,
        forward: {
          target: { transport: "unix", path: "/run/app.sock" },
          connectTimeoutMs: 5000,
          dump: undefined,
        },
      }],
      [["serve"], { mode: "echo", forward: undefined }],
    ],
  );
});

Deno.test("connect: cross-flag rules", () => {
  const one = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  const two = { ...one, port: 2 };
  check(
    [
      [["connect", ":1", ":2"], "connect takes one ADDRESS (several only with --check/-z)"],
      [["connect", ":1-2"], "invalid ADDRESS"],
      [["connect", "--send", "x", "--send-file", "f", ":1"], "either --send or --send-file"],
      [["connect", "--repeat", "3", ":1"], "--repeat needs --send or --send-file"],
      [["connect", "--repeat=1", ":1"], "--repeat needs --send or --send-file"],
      [["connect", "--check", "--send", "x", ":1"], "--check only tests the port"],
      [["connect", "-z", "--send-file", "f", ":1"], "--check only tests the port"],
    ],
    [
      [["connect", "-z", ":1", ":2"], { check: true, targets: [one, two] }],
      [["connect", "--check", ":1-2"], { check: true, targets: [one, two] }],
      [["connect", "--send", "x", "--repeat", "3", ":1"], { send: ["x"], repeat: 3 }],
      [["connect", "--send-file", "f", "--repeat", "2", ":1"], { sendFile: "f", repeat: 2 }],
      [["connect", "--send", "a", "--send", "b", ":1"], { send: ["a", "b"], repeat: 1 }],
      [["connect", "-z", "--wait", "5s", ":1"], { check: true, waitMs: 5000 }],
    ],
  );
});

Deno.test("bench: cross-flag rules", () => {
  check(
    [
      [["bench", "--count", "10", "--duration", "1s"], "either --count or --duration"],
      [["bench", "-n", "10", "-d", "10s"], "either --count or --duration"],
      [["bench", "--rate", "100", "--mode", "stream"], "--rate applies to --mode echo only"],
      [["bench", "-r", "100", "--mode=connect"], "--rate applies to --mode echo only"],
    ],
    [
      [["bench", "--count", "10"], { count: 10, durationMs: 10_000 }],
      [["bench", "--duration", "2s"], { count: undefined, durationMs: 2000 }],
      [["bench", "--rate", "100"], { rate: 100, mode: "echo" }],
      [["bench", "--rate", "100", "--mode", "echo"], { rate: 100, mode: "echo" }],
      [["bench", "--mode", "stream"], { rate: undefined, sizeBytes: 128 * 1024 }],
      [["bench", "--workers", "2"], { workers: 2 }],
    ],
  );
});
