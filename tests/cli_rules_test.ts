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

Deno.test("serve: TLS flag rules", () => {
  const names = [{ type: "dns", value: "example.test" }, {
    type: "ip",
    value: "10.0.0.1",
    bytes: Uint8Array.of(10, 0, 0, 1),
  }];
  check(
    [
      [["serve", "--cert", "c.pem", "--key", "k.pem"], "--cert needs --tls"],
      [["serve", "--tls-ephemeral"], "--tls-ephemeral needs --tls"],
      [["serve", "--client-ca", "ca.pem"], "--client-ca needs --tls"],
      [["serve", "--tls", "--cert", "c.pem"], "--cert needs --key"],
      [["serve", "--tls", "--key", "k.pem"], "--key needs --cert"],
      [["serve", "--tls", "--cert", "c", "--key", "k", "--tls-ephemeral"], "--tls-ephemeral"],
      [["serve", "--tls", "--cert", "c", "--key", "k", "--tls-name", "x"], "--tls-name names"],
      [["serve", "--tls", "--tls-name", "bad name"], "invalid value for --tls-name"],
      [["serve", "--tls", "--tls-name", "a..b"], "invalid value for --tls-name"],
    ],
    [
      [["serve"], { tls: undefined }],
      [["serve", "--tls"], {
        tls: {
          certFile: undefined,
          keyFile: undefined,
          ephemeral: false,
          names: [],
          certOut: undefined,
          clientCaFile: undefined,
        },
      }],
      [["serve", "--tls", "--tls-name", "Example.Test", "--tls-name", "10.0.0.1"], {
        tls: {
          certFile: undefined,
          keyFile: undefined,
          ephemeral: false,
          names,
          certOut: undefined,
          clientCaFile: undefined,
        },
      }],
    ],
  );
});

Deno.test("connect and bench: TLS flag rules", () => {
  const pin = "ab".repeat(32);
  const colons = pin.toUpperCase().match(/../g)!.join(":");
  for (const command of ["connect", "bench"]) {
    const tls = (extra: Record<string, unknown>) => ({
      tls: {
        caFile: undefined,
        pin: undefined,
        insecure: false,
        servername: undefined,
        alpn: [],
        certFile: undefined,
        keyFile: undefined,
        ...extra,
      },
    });
    check(
      [
        [[command, "--pin", `sha256:${pin}`, ":1"], "--pin needs --tls"],
        [[command, "-k", ":1"], "--insecure needs --tls"],
        [[command, "--ca", "ca.pem", ":1"], "--ca needs --tls"],
        [[command, "--tls", "-k", "--pin", `sha256:${pin}`, ":1"], "--pin and --insecure"],
        [[command, "--tls", "--ca", "c", "-k", ":1"], "--ca and --insecure"],
        [[command, "--tls", "--pin", "sha256:abcd", ":1"], "has 4 hex digits"],
        [[command, "--tls", "--pin", "a".repeat(40), ":1"], "SHA-1"],
        [[command, "--tls", "--pin", "sha256:" + "g".repeat(64), ":1"], "not a SHA-256"],
        [[command, "--tls", "--servername", "a b", ":1"], "invalid value for --servername"],
        [[command, "--tls", "--cert", "c.pem", ":1"], "--cert needs --key"],
      ],
      [
        [[command, ":1"], { tls: undefined }],
        [[command, "--tls", "--pin", `sha256:${pin}`, ":1"], tls({ pin })],
        [[command, "--tls", "--pin", colons, ":1"], tls({ pin })],
        [[command, "--tls", "--pin", `SHA256 Fingerprint=${colons}`, ":1"], tls({ pin })],
        [[command, "--tls", "-k", "--alpn", "h2", "--alpn", "http/1.1", ":1"], {
          ...tls({ insecure: true, alpn: ["h2", "http/1.1"] }),
        }],
        [[command, "--tls", "--ca", "ca.pem", "--servername", "example.test", ":1"], {
          ...tls({ caFile: "ca.pem", servername: "example.test" }),
        }],
      ],
    );
  }
});
