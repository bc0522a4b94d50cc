/**
 * The whole tcpkit command line declared once: every command, flag, default, limit and
 * help text. Parsing (flags.ts, parse.ts), help (help.ts) and the completion scripts
 * (completions.ts) are generated from it. Pure data.
 *
 * Each flag's default is written once, as the user would type it, and goes through the
 * same parser as a typed value, so help text and behaviour cannot drift apart.
 */

import { FORWARD_TLS_FLAGS, TLS_CLIENT_FLAGS, TLS_SERVE_FLAGS } from "./tls_flags.ts";

/** How a flag's value is read. */
export type FlagKind = "boolean" | "string" | "count" | "duration" | "size" | "choice";

/** One flag of one command. */
export interface FlagSpec {
  /**
   * Long name without dashes, e.g. `max-conns`: lowercase letters, digits and dashes, and
   * only a boolean may start with `no-` (parseArgs reads `--no-x=V` as `--x=V`).
   */
  name: string;
  /** One-letter alias, e.g. `c` for `-c`; the same long flag in every command that has it. */
  short?: string;
  kind: FlagKind;
  /** Placeholder in help, e.g. `N`, `DURATION`. */
  metavar?: string;
  /** Default as a user would type it; parsed like user input. */
  default?: string;
  /** Allowed values for `choice` flags. */
  choices?: readonly string[];
  /** Smallest allowed value for numeric kinds (in their unit: count, ms or bytes). */
  min?: number;
  /** Largest allowed value for numeric kinds. */
  max?: number;
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
  help: string;
}

/** Help for one positional argument. */
export interface ArgHelp {
  /** As in the usage line, e.g. `ADDRESS`. */
  name: string;
  help: string;
}

/** One subcommand. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments as shown in usage, e.g. `[ADDRESS]`. */
  args: string;
  /** Each positional argument's help, shown in a column beside its name. */
  argsHelp: readonly ArgHelp[];
  minArgs: number;
  maxArgs: number;
  flags: readonly FlagSpec[];
  /** Shell lines, shown as written (never wrapped). */
  examples: readonly string[];
  /** Its arguments are file names, which shells complete. */
  fileArgs?: boolean;
  /**
   * Subcommands, named by the word right after the command (`tcpkit bench merge ...`); each
   * has its own arguments and flags. See SUBCOMMANDS for their full names.
   */
  subcommands?: readonly CommandSpec[];
}

/** `-h`/`--help`, accepted by every command. */
export const HELP_FLAG: FlagSpec = {
  name: "help",
  short: "h",
  kind: "boolean",
  help: "Show this help",
};

/** Flags accepted before any command. */
export const TOP_FLAGS: readonly FlagSpec[] = [
  HELP_FLAG,
  { name: "version", short: "V", kind: "boolean", help: "Show the version" },
];

const DAY_MS = 24 * 3_600_000;

/** Shells `tcpkit completions` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

/** `tcpkit help [COMMAND]`. */
export const HELP_SUMMARY = "Show help for a command: tcpkit help COMMAND";

/** `tcpkit completions SHELL`: about tcpkit itself, so not among COMMANDS. */
export const COMPLETIONS_COMMAND: CommandSpec = {
  name: "completions",
  summary: "Print a shell completion script: bash, zsh or fish",
  args: "SHELL",
  argsHelp: [{ name: "SHELL", help: `One of ${SHELLS.join(", ")}` }],
  minArgs: 1,
  maxArgs: 1,
  flags: [],
  examples: [
    "source <(tcpkit completions bash)                        # this bash session",
    "tcpkit completions bash > ~/.local/share/bash-completion/completions/tcpkit",
    'tcpkit completions zsh > "${fpath[1]}/_tcpkit"',
    "tcpkit completions fish > ~/.config/fish/completions/tcpkit.fish",
  ],
};

const ADDRESS_SYNTAX = "HOST:PORT, [IPV6]:PORT, :PORT, PORT or unix:PATH";

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "serve",
    summary: "Run a TCP server: echo (default), discard, source, or a relay with --forward",
    args: "[ADDRESS]",
    argsHelp: [{
      name: "ADDRESS",
      help: `Where to listen: ${ADDRESS_SYNTAX} (default 127.0.0.1:9999; ` +
        "port 0 picks a free port, shown in the 'listening on' line)",
    }],
    minArgs: 0,
    maxArgs: 1,
    flags: [
      {
        name: "mode",
        kind: "choice",
        metavar: "MODE",
        choices: ["echo", "discard", "source"],
        default: "echo",
        help:
          "echo: write back every byte; discard: read and drop; source: send bytes until the client goes",
      },
      {
        name: "max-conns",
        kind: "count",
        metavar: "N",
        min: 1,
        max: 10_000_000,
        help:
          "Close connections beyond N at once and count them (default: from the open-file limit)",
      },
      {
        name: "idle-timeout",
        kind: "duration",
        metavar: "DURATION",
        min: 1,
        max: DAY_MS,
        help: "Close a connection after this long without traffic (default: never)",
      },
      {
        name: "drain-timeout",
        kind: "duration",
        metavar: "DURATION",
        default: "5s",
        max: DAY_MS,
        help: "On SIGINT/SIGTERM, let open connections finish for this long, then close them",
      },
      { name: "quiet", short: "q", kind: "boolean", help: "No per-connection log lines" },
      {
        name: "log",
        kind: "choice",
        metavar: "FORMAT",
        choices: ["text", "json"],
        default: "text",
        help: "Log format on stderr: text or json (one JSON object per line)",
      },
      {
        name: "workers",
        kind: "count",
        metavar: "N",
        default: "1",
        min: 1,
        max: 256,
        help: "Accept on the same port from N Workers (reusePort) to use several cores",
      },
      {
        name: "stdio",
        kind: "boolean",
        help: "Accept one connection and bridge it to stdin/stdout (like nc -l)",
      },
      {
        name: "keep-sending",
        kind: "boolean",
        help: "With --stdio: when the client half-closes first, send all of stdin before exiting",
      },
      {
        name: "allow",
        kind: "string",
        metavar: "CIDR",
        multiple: true,
        help: "Only accept peers in this block, e.g. 10.0.0.0/8 or ::1 (default: everyone)",
      },
      {
        name: "deny",
        kind: "string",
        metavar: "CIDR",
        multiple: true,
        help: "Refuse peers in this block; wins over --allow",
      },
      {
        name: "unix-mode",
        kind: "string",
        metavar: "MODE",
        help: "With unix:PATH: the socket file's permissions in octal, e.g. 600 (only you) " +
          "or 660 (you and your group) (default: from the umask)",
      },
      // serve --forward: the relay (lib/serve/forward.ts)
      {
        name: "forward",
        kind: "string",
        metavar: "TARGET",
        help: `Relay each connection to TARGET (${ADDRESS_SYNTAX}), both ways, like socat`,
      },
      {
        name: "connect-timeout",
        kind: "duration",
        metavar: "DURATION",
        default: "5s",
        min: 1,
        max: DAY_MS,
        help: "With --forward: give up on TARGET after this long and close the client",
      },
      {
        name: "dump",
        kind: "boolean",
        help: "With --forward: show both directions on stderr as hex and text, like socat -v",
      },
      {
        name: "dump-file",
        kind: "string",
        metavar: "PATH",
        help: "With --forward: write that dump to PATH instead (truncated first)",
      },
      ...FORWARD_TLS_FLAGS,
      ...TLS_SERVE_FLAGS,
    ],
    examples: [
      "tcpkit serve                     # echo on 127.0.0.1:9999",
      "tcpkit serve :0 --quiet          # free port; read it from the 'listening on' line",
      "tcpkit serve 0.0.0.0:7 --max-conns 500 --idle-timeout 30s",
      "tcpkit serve :9000 --mode discard",
      "tcpkit serve unix:/tmp/echo.sock",
      "tcpkit serve --stdio :9000 > received.bin",
      "tcpkit serve :8080 --forward example.com:80 --dump   # watch a protocol",
      "tcpkit serve --tls :8443             # TLS; prints the fingerprint for connect --pin",
      "tcpkit serve --tls :8443 --forward 127.0.0.1:8080   # add TLS in front of a plain service",
      "tcpkit serve :8080 --forward example.com:443 --forward-tls --dump   # watch HTTPS in clear",
    ],
  },
  {
    name: "connect",
    summary: "Connect like netcat: stdin to the socket, the socket to stdout",
    args: "ADDRESS...",
    argsHelp: [{
      name: "ADDRESS",
      help: `Where to connect: ${ADDRESS_SYNTAX} ` +
        "(with --check: several addresses, or a port range HOST:8000-8010)",
    }],
    minArgs: 1,
    maxArgs: 64,
    flags: [
      {
        name: "no-half-close",
        kind: "boolean",
        help: "On stdin EOF keep the write side open instead of shutting it down",
      },
      {
        name: "keep-sending",
        kind: "boolean",
        help: "When the peer half-closes first, send all of stdin before exiting",
      },
      {
        name: "send",
        kind: "string",
        metavar: "TEXT",
        multiple: true,
        help: "Send TEXT plus a newline (one line each), half-close, print the reply, exit",
      },
      {
        name: "send-file",
        kind: "string",
        metavar: "PATH",
        help: "Send the file's bytes, half-close, print the reply, exit",
      },
      {
        name: "repeat",
        kind: "count",
        metavar: "N",
        default: "1",
        min: 1,
        max: 1_000_000_000,
        help: "With --send/--send-file: send N times on one connection, printing replies",
      },
      {
        name: "interval",
        kind: "duration",
        metavar: "DURATION",
        default: "1s",
        max: DAY_MS,
        help: "Pause between --repeat sends",
      },
      {
        name: "check",
        short: "z",
        kind: "boolean",
        help:
          "Only check that ports accept: exit 0 if all open, 1 if not; several: 'ADDRESS open|closed' lines",
      },
      {
        name: "wait",
        kind: "duration",
        metavar: "DURATION",
        min: 1,
        max: DAY_MS,
        help: "Retry connecting with backoff until the port accepts or DURATION passes",
      },
      {
        name: "timeout",
        short: "w",
        kind: "duration",
        metavar: "DURATION",
        default: "10s",
        min: 1,
        max: DAY_MS,
        help: "Connect timeout for each attempt",
      },
      {
        name: "idle-timeout",
        kind: "duration",
        metavar: "DURATION",
        min: 1,
        max: DAY_MS,
        help: "Exit 1 when no data moves either way for this long (default: never)",
      },
      {
        name: "crlf",
        short: "C",
        kind: "boolean",
        help: "Send each LF as CRLF (stdin, --send, --send-file, interactive lines), like nc -C",
      },
      {
        name: "verbose",
        short: "v",
        kind: "boolean",
        help: "Report the connection and the bytes sent and received on stderr",
      },
      ...TLS_CLIENT_FLAGS,
    ],
    examples: [
      "printf 'hi' | tcpkit connect 127.0.0.1:9999      # prints hi, exits",
      "tcpkit connect :9000 < file.bin                  # send a file",
      "tcpkit connect -z localhost:8000-8010            # which ports are open",
      "tcpkit connect -z --wait 30s db:5432             # wait for a port in CI",
      "tcpkit connect --send 'PING' --crlf :6379        # one request, print the reply",
      "tcpkit connect --tls --pin sha256:HEX :8443      # TLS, trusting exactly that certificate",
    ],
  },
  {
    name: "bench",
    summary: "Benchmark an echo server: throughput and latency; merge, compare, plot results",
    args: "[ADDRESS]",
    argsHelp: [{
      name: "ADDRESS",
      help: `Echo server to measure: ${ADDRESS_SYNTAX} ` +
        "(default: an embedded tcpkit echo server on a free loopback port)",
    }],
    minArgs: 0,
    maxArgs: 1,
    flags: [
      {
        name: "mode",
        kind: "choice",
        metavar: "MODE",
        choices: ["echo", "stream", "connect"],
        default: "echo",
        help: "echo: request/reply; stream: one-way upload; connect: connection setup rate",
      },
      {
        name: "connections",
        short: "c",
        kind: "count",
        metavar: "N",
        default: "50",
        min: 1,
        max: 100_000,
        help: "Concurrent connections",
      },
      {
        name: "size",
        short: "s",
        kind: "size",
        metavar: "BYTES",
        min: 1,
        max: 64 * 1024 ** 2,
        help: "Message size: 64, 4k, 16KiB, 1MiB (default: 64; 128KiB with --mode stream)",
      },
      {
        name: "duration",
        short: "d",
        kind: "duration",
        metavar: "DURATION",
        default: "10s",
        min: 1,
        max: DAY_MS,
        help: "How long to measure (after --warmup)",
      },
      {
        name: "count",
        short: "n",
        kind: "count",
        metavar: "N",
        min: 1,
        max: 1e12,
        help: "Stop after exactly N messages in total instead of after --duration",
      },
      {
        name: "pipeline",
        kind: "count",
        metavar: "K",
        default: "1",
        min: 1,
        max: 1024,
        help: "Messages in flight per connection",
      },
      {
        name: "warmup",
        kind: "duration",
        metavar: "DURATION",
        default: "1s",
        max: DAY_MS,
        help: "Run this long first and leave it out of the results",
      },
      {
        name: "rate",
        short: "r",
        kind: "count",
        metavar: "R",
        min: 1,
        max: 100_000_000,
        help: "Open loop: R messages per second in total, latency from the intended send time",
      },
      {
        name: "interval",
        short: "i",
        kind: "duration",
        metavar: "DURATION",
        default: "1s",
        min: 10,
        max: DAY_MS,
        help: "Progress line on stderr every DURATION",
      },
      { name: "quiet", short: "q", kind: "boolean", help: "No progress lines on stderr" },
      { name: "json", kind: "boolean", help: "Print one JSON document on stdout" },
      {
        // No short flag: -w is connect's --timeout (nc's -w), and a letter means one thing.
        name: "workers",
        kind: "count",
        metavar: "N",
        min: 1,
        max: 256,
        help:
          "Client Workers (default: one per core, minus one when the server is on this machine: embedded or loopback)",
      },
      {
        name: "timeout",
        kind: "duration",
        metavar: "DURATION",
        default: "10s",
        min: 1,
        max: DAY_MS,
        help: "A reply or connect slower than this is counted as a stall error",
      },
      {
        name: "svg",
        kind: "string",
        metavar: "PATH",
        help: "At the end, also draw the latency percentile chart (as bench plot does) into PATH",
      },
      ...TLS_CLIENT_FLAGS,
    ],
    examples: [
      "tcpkit bench                                # embedded server, ~10 seconds",
      "tcpkit bench 127.0.0.1:7000 -c 50 -s 16k -d 10s",
      "tcpkit bench :7000 --rate 20000 --json > result.json",
      "tcpkit bench :5201 --mode stream -s 256k",
      "tcpkit bench :7000 --svg latency.svg",
      "tcpkit bench --tls --mode connect -c 10     # TLS handshakes per second",
    ],
    subcommands: [
      {
        name: "merge",
        summary: "Merge saved results into one (e.g. one client per machine, one server): " +
          "counts, histograms and rates add",
        args: "FILE...",
        argsHelp: [{
          name: "FILE",
          help: "A result saved by tcpkit bench --json (or by bench merge); all of one --mode, " +
            "message size and pipeline",
        }],
        minArgs: 1,
        maxArgs: 4096,
        fileArgs: true,
        flags: [],
        examples: [
          "tcpkit bench merge host1.json host2.json > all.json",
          "tcpkit bench merge results/*.json | jq .result.msgs_per_sec",
        ],
      },
      {
        name: "compare",
        summary: "Compare two saved results side by side, with the change in %",
        args: "BASE NEW",
        argsHelp: [
          { name: "BASE", help: "The result to compare against (saved by bench --json)" },
          { name: "NEW", help: "The result compared with it, of the same --mode" },
        ],
        minArgs: 2,
        maxArgs: 2,
        fileArgs: true,
        flags: [{ name: "json", kind: "boolean", help: "Print one JSON document on stdout" }],
        examples: [
          "tcpkit bench compare before.json after.json",
          "tcpkit bench compare before.json after.json --json | jq .metrics.latency_p99_us",
        ],
      },
      {
        name: "plot",
        summary: "Draw saved results' latency by percentile as an SVG chart, a curve per file",
        args: "FILE...",
        argsHelp: [{
          name: "FILE",
          help: "A result saved by bench --json; its curve is labelled with the file's " +
            '"label" field, else the file name',
        }],
        minArgs: 1,
        maxArgs: 12,
        fileArgs: true,
        flags: [
          {
            name: "output",
            short: "o",
            kind: "string",
            metavar: "PATH",
            help: "Write the SVG to PATH (default: stdout)",
          },
          {
            name: "title",
            kind: "string",
            metavar: "TEXT",
            help: "Title above the chart (default: Latency by percentile)",
          },
        ],
        examples: [
          "tcpkit bench plot before.json after.json -o latency.svg",
          "tcpkit bench plot all.json --title 'Two clients, one server' > all.svg",
        ],
      },
    ],
  },
];

/** Every subcommand with its full name (`bench merge`), as parsing and help see it. */
export const SUBCOMMANDS: readonly CommandSpec[] = COMMANDS.flatMap((command) =>
  (command.subcommands ?? []).map((sub) => ({ ...sub, name: `${command.name} ${sub.name}` }))
);

/** Every first word tcpkit accepts: the declared commands, then help and completions. */
export const COMMAND_NAMES: readonly string[] = [
  ...COMMANDS.map((c) => c.name),
  "help",
  COMPLETIONS_COMMAND.name,
];
