/**
 * Each command's cross-flag rules (the options builders in lib/serve, lib/connect and
 * lib/bench), through the real parser: every combination a rule forbids is a usage error
 * naming it, and the nearest allowed combinations build the expected options.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { type Invocation, parseCli } from "../lib/cli/parse.ts";
import { UsageError } from "../lib/common/errors.ts";
import { checkInteractiveFlags } from "../lib/connect/options.ts";

/** argv and a substring of the usage error it must raise. */
type Refused = [argv: string[], error: string];
/** What `--tls` alone parses to, for connect and bench (and serve's --forward-tls). */
const NO_CLIENT_TLS = {
  caFile: undefined,
  pin: undefined,
  insecure: false,
  servername: undefined,
  alpn: [],
  certFile: undefined,
  keyFile: undefined,
};

/** What `serve --tls` alone parses to. */
const NO_SERVE_TLS = {
  certFile: undefined,
  keyFile: undefined,
  ephemeral: false,
  names: [],
  certOut: undefined,
  clientCaFile: undefined,
};

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
      [["serve", ":0", "--unix-mode", "600"], "--unix-mode needs a unix:PATH address"],
      [["serve", "--stdio", "--unix-mode", "600"], "--unix-mode needs a unix:PATH address"],
      ...["abc", "60", "6000", "0o600", "800", "-600", "0x1ff", "600 "].map((mode): Refused => [
        ["serve", "unix:/tmp/x.sock", `--unix-mode=${mode}`],
        `--unix-mode: "${mode}" is not an octal mode like 600 or 0660`,
      ]),
      [["serve", "unix:/tmp/x.sock", "--unix-mode="], "--unix-mode"],
      // --stdio serves one connection: what only means something for many is refused.
      [["serve", "--stdio", "--mode", "echo"], "cannot be combined with --mode"],
      [["serve", "--stdio", "--max-conns", "5"], "--max-conns has no meaning with --stdio"],
      [
        ["serve", "--stdio", "--drain-timeout", "1s"],
        "--drain-timeout has no meaning with --stdio",
      ],
      // A unix socket peer has no IP address to filter.
      [["serve", "unix:/tmp/x.sock", "--allow", "127.0.0.1"], "--allow filters TCP peers"],
      [["serve", "unix:/tmp/x.sock", "--deny", "::1"], "--deny filters TCP peers"],
      [["serve", "--stdio", "unix:/tmp/x.sock", "--deny", "::1"], "--deny filters TCP peers"],
    ],
    [
      [["serve", "unix:/tmp/x.sock", "--workers", "1"], { workers: 1 }],
      [["serve", ":0", "--workers", "4"], { workers: 4 }],
      [["serve", "--stdio", "--workers", "1"], { stdio: true, workers: 1 }],
      [["serve", "--stdio", "--keep-sending"], { stdio: true, keepSending: true }],
      [["serve", "--mode", "discard", "--workers", "2"], { mode: "discard", workers: 2 }],
      [["serve", "unix:/tmp/x.sock"], { unixMode: undefined }],
      [["serve", "unix:/tmp/x.sock", "--unix-mode", "600"], { unixMode: 0o600 }],
      [["serve", "unix:/tmp/x.sock", "--unix-mode", "0660"], { unixMode: 0o660 }],
      [["serve", "unix:/tmp/x.sock", "--unix-mode", "777"], { unixMode: 0o777 }],
      [["serve", "--stdio", "unix:/tmp/x.sock", "--unix-mode", "600"], { unixMode: 0o600 }],
      // Every flag --stdio honours, together.
      [
        [
          "serve",
          "--stdio",
          "--allow=127.0.0.0/8",
          "--deny=::1",
          "--log=json",
          "-q",
          "--idle-timeout=1s",
          "--keep-sending",
          "--workers=1",
        ],
        { stdio: true, log: "json", quiet: true, idleTimeoutMs: 1000, keepSending: true },
      ],
      // Every mode takes every flag a server honours.
      ...["echo", "discard", "source"].map((mode): Accepted => [
        [
          "serve",
          ":0",
          `--mode=${mode}`,
          "--max-conns=5",
          "--idle-timeout=1s",
          "--drain-timeout=2s",
          "--workers=2",
          "--allow=127.0.0.1",
          "--deny=10.0.0.0/8",
          "--log=json",
          "-q",
        ],
        { mode, maxConns: 5, idleTimeoutMs: 1000, drainTimeoutMs: 2000, workers: 2, quiet: true },
      ]),
      [
        ["serve", "unix:/tmp/x.sock", "--mode=source", "--max-conns=3", "--idle-timeout=1s"],
        { mode: "source", maxConns: 3, idleTimeoutMs: 1000, unixMode: undefined },
      ],
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

Deno.test("serve --forward-tls: cross-flag rules", () => {
  const target = { transport: "tcp", hostname: "127.0.0.1", port: 9000 };
  const pin = "ab".repeat(32);
  const relay = ["serve", "--forward", ":9000", "--forward-tls"];
  const tls = (extra: Record<string, unknown> = {}) => ({
    forward: {
      target,
      connectTimeoutMs: 5000,
      dump: undefined,
      tls: { ...NO_CLIENT_TLS, ...extra },
    },
  });
  check(
    [
      [["serve", "--forward-tls"], "--forward-tls needs --forward"],
      [["serve", "--forward-ca", "ca.pem"], "--forward-ca needs --forward-tls"],
      [
        ["serve", "--forward", ":9000", "--forward-ca", "ca.pem"],
        "--forward-ca needs --forward-tls",
      ],
      [["serve", "--forward", ":9000", "--forward-pin", `sha256:${pin}`], "needs --forward-tls"],
      [["serve", "--forward", ":9000", "--forward-insecure"], "--forward-insecure needs"],
      [["serve", "--forward", ":9000", "--forward-servername", "a"], "--forward-servername needs"],
      [["serve", "--forward", ":9000", "--forward-alpn", "h2"], "--forward-alpn needs"],
      [["serve", "--forward", ":9000", "--forward-cert", "c", "--forward-key", "k"], "needs"],
      // serve's own --cert/--key (its listening side) do not stand in for the upstream's
      [["serve", "--forward", ":9000", "--forward-tls", "--cert", "c", "--key", "k"], "--tls"],
      [[...relay, "--forward-pin", "sha256:12"], "invalid value for --forward-pin"],
      [[...relay, "--forward-pin", `sha256:${pin}`, "--forward-insecure"], "--forward-pin and"],
      [
        [...relay, "--forward-ca", "c", "--forward-insecure"],
        "--forward-ca and --forward-insecure",
      ],
      [[...relay, "--forward-servername", "bad name"], "invalid value for --forward-servername"],
      [[...relay, "--forward-alpn", ""], "invalid value for --forward-alpn"],
      [[...relay, "--forward-cert", "c.pem"], "--forward-cert needs --forward-key"],
      [[...relay, "--forward-key", "k.pem"], "--forward-key needs --forward-cert"],
    ],
    [
      [relay, tls()],
      [[...relay, "--forward-pin", `sha256:${pin}`], tls({ pin })],
      [[...relay, "--forward-insecure"], tls({ insecure: true })],
      [
        [...relay, "--forward-ca", "ca.pem", "--forward-servername", "db.internal"],
        tls({
          caFile: "ca.pem",
          servername: "db.internal",
        }),
      ],
      [
        [...relay, "--forward-alpn", "h2", "--forward-alpn", "http/1.1"],
        tls({
          alpn: ["h2", "http/1.1"],
        }),
      ],
      [
        [...relay, "--forward-cert", "c.pem", "--forward-key", "k.pem"],
        tls({
          certFile: "c.pem",
          keyFile: "k.pem",
        }),
      ],
      // Both sides: serve's --tls is the clients' side, --forward-tls the upstream's.
      [[...relay, "--tls", "--tls-ephemeral", "--forward-insecure"], {
        ...tls({ insecure: true }),
        tls: { ...NO_SERVE_TLS, ephemeral: true },
      }],
      [["serve", "--forward", ":9000"], {
        forward: { target, connectTimeoutMs: 5000, dump: undefined },
      }],
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
      // --check moves no data: the data flags have nothing to act on.
      ...["--no-half-close", "--keep-sending", "--interval=1s", "--idle-timeout=1s", "--crlf"]
        .map((flag): Refused => [
          ["connect", "-z", flag, ":1"],
          `--check only tests the port; it cannot be combined with ${flag.split("=")[0]}`,
        ]),
      [["connect", "--send", "x", "--interval", "1s", ":1"], "--interval needs --repeat"],
      [["connect", "--interval", "1s", ":1"], "--interval needs --repeat"],
    ],
    [
      [["connect", "-z", ":1", ":2"], { check: true, targets: [one, two] }],
      [["connect", "--check", ":1-2"], { check: true, targets: [one, two] }],
      [["connect", "--send", "x", "--repeat", "3", ":1"], { send: ["x"], repeat: 3 }],
      [["connect", "--send-file", "f", "--repeat", "2", ":1"], { sendFile: "f", repeat: 2 }],
      [["connect", "--send", "a", "--send", "b", ":1"], { send: ["a", "b"], repeat: 1 }],
      [["connect", "-z", "--wait", "5s", ":1"], { check: true, waitMs: 5000 }],
      [["connect", "-zv", "-w", "2s", ":1"], { check: true, verbose: true, timeoutMs: 2000 }],
      [
        ["connect", "--send", "x", "--keep-sending", "--no-half-close", "--idle-timeout=1s", ":1"],
        { keepSending: true, halfClose: false, idleTimeoutMs: 1000 },
      ],
      [
        ["connect", "--send-file", "f", "--crlf", "--repeat=2", "--interval=0s", ":1"],
        { crlf: true, repeat: 2, intervalMs: 0 },
      ],
      [["connect", "--keep-sending", "--no-half-close", ":1"], { keepSending: true }],
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
      [["bench", "--svg", "x.svg", "--mode", "stream"], "--svg draws latency"],
      [["bench", "--pipeline", "4", "--mode", "stream"], "--pipeline applies to --mode echo only"],
      [["bench", "--pipeline=1", "--mode=connect"], "--pipeline applies to --mode echo only"],
      [["bench", "-c", "2", "--workers", "3"], "--workers 3 is more than the 2 connection(s)"],
      [["bench", "-q", "-i", "2s"], "--interval sets how often progress is printed"],
      [["bench", "--quiet", "--interval=1s"], "not with --quiet"],
    ],
    [
      [["bench", "--count", "10"], { count: 10, durationMs: 10_000 }],
      [["bench", "--duration", "2s"], { count: undefined, durationMs: 2000 }],
      [["bench", "--rate", "100"], { rate: 100, mode: "echo" }],
      [["bench", "--rate", "100", "--mode", "echo"], { rate: 100, mode: "echo" }],
      [["bench", "--mode", "stream"], { rate: undefined, sizeBytes: 128 * 1024 }],
      [["bench", "--workers", "2"], { workers: 2 }],
      [["bench", "--svg", "x.svg", "--mode", "connect"], { svg: "x.svg", mode: "connect" }],
      [["bench", "-c", "2", "--workers", "2"], { connections: 2, workers: 2 }],
      [["bench", "--pipeline", "4"], { pipeline: 4, mode: "echo" }],
      [["bench", "--mode", "stream", "-n", "10"], { mode: "stream", count: 10, pipeline: 1 }],
      [["bench", "--mode", "connect", "-s", "1k"], { mode: "connect", sizeBytes: 1024 }],
      [["bench", "-q"], { quiet: true, intervalMs: 1000 }],
      [["bench", "--quiet", "--json"], { quiet: true, json: true }],
    ],
  );
});

Deno.test("connect: interactive mode (stdin a terminal) refuses what it cannot honour", () => {
  const options = (argv: string[]) =>
    (parseCli(["connect", ...argv, ":1"]) as Extract<Invocation, { command: "connect" }>).options;
  const refused: [string[], string][] = [
    [["--keep-sending"], "--keep-sending applies to piped stdin"],
    [["--no-half-close"], "--no-half-close applies to piped stdin"],
    [["--no-half-close", "--crlf", "-v"], "--no-half-close applies to piped stdin"],
  ];
  for (const [argv, error] of refused) {
    assertThrows(() => checkInteractiveFlags(options(argv), true), UsageError, error);
    checkInteractiveFlags(options(argv), false); // piped stdin honours them
  }
  // Interactive mode honours these; with --send or --send-file stdin is not read at all.
  for (
    const argv of [
      ["--crlf", "-v", "--idle-timeout=1s", "--wait=1s", "-w", "1s"],
      ["--send", "x", "--keep-sending", "--no-half-close"],
      ["--send-file", "f", "--keep-sending"],
    ]
  ) {
    checkInteractiveFlags(options(argv), true);
  }
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
        tls: NO_SERVE_TLS,
      }],
      [["serve", "--tls", "--tls-name", "Example.Test", "--tls-name", "10.0.0.1"], {
        tls: { ...NO_SERVE_TLS, names },
      }],
    ],
  );
});

Deno.test("connect and bench: TLS flag rules", () => {
  const pin = "ab".repeat(32);
  const colons = pin.toUpperCase().match(/../g)!.join(":");
  for (const command of ["connect", "bench"]) {
    const tls = (extra: Record<string, unknown>) => ({
      tls: { ...NO_CLIENT_TLS, ...extra },
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
