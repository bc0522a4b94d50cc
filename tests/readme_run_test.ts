/**
 * The README cannot rot: every shell block in it runs here, line by line as written, as if
 * typed into a terminal, unless a `<!-- readme-test: skip (REASON) -->` marker stands right
 * above it (see readme_blocks.ts). Only two kinds of line are wrapped: a server of a
 * `servers` block goes to the background to be probed and stopped, and a line expected to
 * fail has its exit status checked.
 *
 * Each run (a block, or one line of a block of servers) happens in a throwaway sandbox:
 * `unshare` gives it its own network namespace (only a loopback device, so the README's
 * fixed ports never clash with anything and no packet can leave the machine), its own
 * /tmp (a fresh directory) and its own PID namespace (every process it starts dies with
 * it). `script` gives it a terminal and `set -m` job control, so a background job that
 * reads the terminal is stopped as it would be in an interactive shell. `tcpkit` on its
 * PATH runs the `tcpkit` task of deno.json. The table below starts the servers each block
 * talks to and says what each line must print.
 */

import { assert, assertEquals } from "@std/assert";
import { cliCommand, ROOT } from "./helpers.ts";
import { README, type ReadmeBlock, readmeBlocks, SHELL_LANGS } from "./readme_blocks.ts";

/** What one README line must do; by default, exit 0. */
interface LineCheck {
  /** Its exit status. */
  exit?: number;
  /** What it prints on stdout: exactly this text, or text matching this pattern. */
  stdout?: string | RegExp;
  /** The same for stderr. */
  stderr?: string | RegExp;
  /**
   * In a `servers` block: shell commands that use the server once it listens; their stdout
   * counts as the line's.
   */
  probe?: string;
}

interface Example {
  /** Text in the first line of the README block this is about (and no other block's). */
  block: string;
  /**
   * Every line is a long-running server, run on its own: it must print a first stderr line,
   * serve its `probe` and exit 0 on SIGTERM. The line's stdout is that first line, then the
   * probe's output.
   */
  servers?: boolean;
  /** Shell run in the work directory before the block: servers it talks to, files it reads. */
  setup?: string;
  /** Typed at the terminal; a line that reads the terminal gets it. */
  typed?: string;
  /**
   * Stop each `tcpkit bench` (but one with a count, `-n`) as Ctrl-C would, once it has
   * measured a second: the README's durations add up to a minute.
   */
  cutBench?: boolean;
  /** Checks for lines, by a piece of text found in exactly one line of the block. */
  lines?: Record<string, LineCheck>;
  /** Shell run after the block, checking what it left behind; it must exit 0. */
  after?: string;
  /** A pattern the whole run's stderr (background jobs included) must match. */
  stderr?: RegExp;
}

const FILE_BIN = "head -c 1000000 /dev/urandom > file.bin";

const EXAMPLES: Example[] = [
  {
    block: "# echo on 127.0.0.1:9999",
    servers: true,
    lines: {
      "# echo on 127.0.0.1:9999": {
        probe: "printf hi | tcpkit connect 127.0.0.1:9999",
        stdout: /^listening on 127\.0\.0\.1:9999 \(mode echo, max-conns \d+\)\nhi$/,
      },
      "# any free port": {
        probe: "printf hi | tcpkit connect " +
          `"$(sed -nE '1s/^listening on ([^ ]+) .*/\\1/p' "$README_TEST_DIR/serve.log")"`,
        stdout: /^listening on 127\.0\.0\.1:[1-9]\d* \(mode echo, max-conns \d+\)\nhi$/,
      },
      "0.0.0.0:7000 --max-conns 500": {
        probe: "printf hi | tcpkit connect 127.0.0.1:7000",
        stdout: "listening on 0.0.0.0:7000 (mode echo, max-conns 500)\nhi",
      },
      "# upload sink": {
        probe: "head -c 100000 /dev/zero | tcpkit connect :9000",
        stdout: /^listening on 127\.0\.0\.1:9000 \(mode discard, max-conns \d+\)\n$/,
      },
      "# download source": {
        // the pattern keeps coming after the client's EOF, until it goes
        probe: "tcpkit connect :9000 < /dev/null | head -c 300 | od -An -v -tu1 -w300 | tr -s ' '",
        stdout: new RegExp(
          `^listening on 127\\.0\\.0\\.1:9000 \\(mode source, max-conns \\d+\\)\\n ${
            Array.from({ length: 300 }, (_, i) => i % 256).join(" ")
          }\\n$`,
        ),
      },
      "unix:/tmp/echo.sock": {
        probe:
          "printf hi | tcpkit connect unix:/tmp/echo.sock && echo && stat -c %a /tmp/echo.sock",
        stdout: /^listening on unix:\/tmp\/echo\.sock \(mode echo, max-conns \d+\)\nhi\n600\n$/,
      },
      "# two Workers": {
        probe: "printf hi | tcpkit connect :7000",
        stdout: /^listening on 127\.0\.0\.1:7000 \(mode echo, max-conns \d+, 2 workers\)\nhi$/,
      },
    },
  },
  {
    block: "# port 8080 leads to port 9000",
    servers: true,
    setup: "start_server :9000\nstart_server unix:/tmp/app.sock",
    lines: {
      "# port 8080 leads to port 9000": {
        probe: "printf hi | tcpkit connect :8080",
        stdout:
          /^listening on 127\.0\.0\.1:8080 \(mode forward to 127\.0\.0\.1:9000, max-conns \d+\)\nhi$/,
      },
      "unix:/tmp/app.sock": {
        probe: "printf hi | tcpkit connect :8080",
        stdout:
          /^listening on 127\.0\.0\.1:8080 \(mode forward to unix:\/tmp\/app\.sock, max-conns \d+\)\nhi$/,
      },
      "--dump    #": {
        // the dump is on the server's stderr, among its log lines: "hi" went each way
        probe:
          `printf 'hi\\n' | tcpkit connect :8080 && grep -c '|hi.|$' "$README_TEST_DIR/serve.log"`,
        stdout:
          /^listening on 127\.0\.0\.1:8080 \(mode forward to 127\.0\.0\.1:9000, max-conns \d+\)\nhi\n2\n$/,
      },
      "--dump-file session.txt": {
        probe:
          "printf 'hi\\n' | tcpkit connect :8080 && grep -c '^[<>] #1 .* 3 bytes at 0$' session.txt",
        stdout:
          /^listening on 127\.0\.0\.1:8080 \(mode forward to 127\.0\.0\.1:9000, max-conns \d+\)\nhi\n2\n$/,
      },
      "--max-conns 200 --idle-timeout 5m": {
        probe: "printf hi | tcpkit connect 127.0.0.1:8080",
        stdout: "listening on 0.0.0.0:8080 (mode forward to 127.0.0.1:9000, max-conns 200)\nhi",
      },
    },
  },
  {
    block: "tcpkit serve :0 2> server.log &",
    after: `[ "$port" -gt 0 ] && tcpkit connect -z "127.0.0.1:$port"`,
  },
  {
    block: "printf 'hi' | tcpkit connect",
    setup: [
      "start_server :9999",
      "start_server :9000",
      "start_server :6379",
      "start_server :5432",
      "start_server :8000",
      "start_server unix:/tmp/echo.sock",
      FILE_BIN,
      "echo 'a request' > request.txt",
    ].join("\n"),
    typed: "hello\nexit\n",
    lines: {
      "printf 'hi'": { stdout: "hi" },
      "< file.bin > reply.bin": { stdout: "" },
      "# interactive when stdin is a terminal": {
        stdout: "hello\n",
        stderr: /tcpkit: connected[\s\S]*tcpkit: connection closed\n$/,
      },
      "--send 'PING' --crlf": { stdout: "PING\r\n" },
      "--repeat 5": { stdout: "hello\n".repeat(5) },
      "-z :5432": { stdout: "", stderr: "" },
      // exit 0 only if all are open
      "-z 127.0.0.1:8000-8010": {
        exit: 1,
        stdout: Array.from(
          { length: 11 },
          (_, i) => `127.0.0.1:${8000 + i} ${i ? "closed (connection refused)" : "open"}\n`,
        ).join(""),
      },
      "--wait 30s 127.0.0.1:5432": { stdout: "", stderr: "" },
      "< request.txt": { stdout: "a request\n" },
    },
    after: "cmp file.bin reply.bin",
  },
  {
    block: "tcpkit serve --stdio :9000",
    setup: FILE_BIN,
    after: "wait\ncmp file.bin received.bin",
    stderr: /^listening on 127\.0\.0\.1:9000 /m,
  },
  {
    block: "# embedded server",
    setup: "start_server :7000\nstart_server :5201 --mode discard",
    cutBench: true,
    lines: {
      "# embedded server": { stdout: /embedded tcpkit echo server[\s\S]*\nNo errors/ },
      "-c 50 -s 16k -d 10s": { stdout: /50 connections, 16 KiB messages[\s\S]*\nNo errors/ },
      "-n 100000": { stdout: /pipeline 8: [\s\S]*: 100000 messages\n[\s\S]*\nNo errors/ },
      "--rate 20000 --json": { stdout: "" },
      "--mode stream": { stdout: /stream: 1 connection, [\s\S]*\nNo errors/ },
      "--mode connect -c 10": { stdout: /\nNo errors/ },
    },
    after: "jq -e '.spec.rate_msgs_per_sec == 20000 and .result.messages > 0 " +
      "and .result.errors == 0' result.json > /dev/null",
  },
  {
    block: "-c 10 --json > c10.json",
    setup: "start_server :7000",
    cutBench: true,
    lines: {
      "bench compare": {
        stdout: new RegExp(
          "^tcpkit bench compare\\n" +
            "  base c10\\.json  echo, 10 connections, 64 B messages, closed loop, pipeline 1, " +
            "127\\.0\\.0\\.1:7000\\n" +
            "  new  c100\\.json echo, 100 connections, 64 B messages, [^\\n]*\\n\\n" +
            " +base +new +change\\n" +
            ["msgs/s", "bytes/s", "p50", "p90", "p99", "p99\\.9", "max"]
              .map((row) => `  ${row} +\\S+(?: \\S+)? +\\S+(?: \\S+)? +[+-]?\\d+\\.\\d%\\n`)
              .join("") +
            "  errors +0 +0 +0\\.0%\\n$",
        ),
      },
      "bench merge": { stdout: "" },
      "bench plot": { stdout: "" },
      "--svg run.svg": { stdout: /50 connections, 64 B messages[\s\S]*\nNo errors/ },
    },
    after: [
      `jq -e '(.merged_from | map(.file)) == ["c10.json", "c100.json"] and .result.messages > 0' \\`,
      "  both.json > /dev/null",
      `[ "$(grep -c '<path ' latency.svg)" = 2 ] && grep -q '</svg>' latency.svg`,
      `[ "$(grep -c '<path ' run.svg)" = 1 ] && grep -q '</svg>' run.svg`,
    ].join("\n"),
  },
  {
    block: "open loop: p50 near the round trip",
    lines: {
      "--rate 50": {
        // p50 under 5 ms, where a whole 20 ms interval used to be added
        stdout: new RegExp(
          String
            .raw`open loop at 50 msgs/s[\s\S]*\n {2}round +\S+ \S+ +(\S+ µs|[1-4](\.\d+)? ms) ` +
            String.raw`[\s\S]*\nNo errors: every echoed byte matched\n$`,
        ),
      },
      // timeout's own status: it sent SIGTERM, bench printed its results and exited 143
      "timeout 3": { exit: 124, stdout: "No errors: every echoed byte matched\n" },
      "127.0.0.1:9 -c 2 --json": {
        exit: 1,
        stdout:
          '{"error":"cannot benchmark \\"127.0.0.1:9\\": cannot connect: connection refused",' +
          '"errors":2}\n',
        stderr: /tcpkit: cannot benchmark "127\.0\.0\.1:9": cannot connect: connection refused\n/,
      },
    },
  },
  {
    block: "source <(tcpkit completions bash)",
    setup: [
      "mkdir -p ~/.local/share/bash-completion/completions ~/.config/fish/completions ~/.zfunc",
      "fpath=(unused ~/.zfunc) # zsh's fpath in bash, where ${fpath[1]} is the second element",
    ].join("\n"),
    after: [
      "complete -p tcpkit > /dev/null",
      "bash -n ~/.local/share/bash-completion/completions/tcpkit",
      "grep -q '^#compdef tcpkit' ~/.zfunc/_tcpkit",
      "grep -q '^complete -c tcpkit' ~/.config/fish/completions/tcpkit.fish",
    ].join("\n"),
  },
  {
    block: "# receiver",
    setup: FILE_BIN,
    lines: {
      "sha256sum": { stdout: /^([0-9a-f]{64}) {2}file\.bin\n\1 {2}received\.bin\n$/ },
    },
  },
  {
    block: 'echo "database is up"',
    // the database comes up a little later
    setup: "{ sleep 0.5 && command tcpkit serve :5432 --quiet 2>> servers.log; } &",
    lines: { "database is up": { stdout: "database is up\n" } },
  },
  {
    block: "port 8080 is down",
    setup: "start_server :8080\nstart_server :8000",
    lines: {
      "port 8080 is down": { stdout: "", stderr: "" },
      "# one line per port": {
        exit: 1, // 0 only if all are open
        stdout:
          /^127\.0\.0\.1:8000 open\n127\.0\.0\.1:8001 closed \(connection refused\)\n(.*\n){9}$/,
      },
      // an echo server stands in for the web server
      "GET / HTTP/1.0": { stdout: "GET / HTTP/1.0\r\n" },
    },
  },
  {
    block: "# type PING, get +PONG",
    // an echo server stands in for Redis: the reply shows what was sent
    setup: "start_server :6379",
    typed: "PING\nexit\n",
    lines: {
      // stdout is a file here, not the terminal: the reply's bytes come through unescaped
      "# type PING": { stdout: "PING\r\n", stderr: /tcpkit: connection closed\n$/ },
      "--send PING": { stdout: "PING\r\n" },
      "--send 'SET k v' --send 'GET k'": { stdout: "SET k v\r\nGET k\r\n" },
    },
  },
  {
    block: "> a.json",
    setup: "start_server :7001\nstart_server :7002",
    cutBench: true,
    lines: {
      "jq -r": {
        stdout: /^127\.0\.0\.1:7001\t\d+(\.\d+)?\t\d+\n127\.0\.0\.1:7002\t\d+(\.\d+)?\t\d+\n$/,
      },
    },
  },
];

/** Shell for TLS setups: a CA (`NAME-ca.crt`) and a certificate it issued for NAMES. */
const TLS_CERTS = String.raw`
# issue NAME SUBJECT SAN EXTRA: NAME-ca.crt, and NAME.crt/NAME.key issued by it
issue() {
  local ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
  openssl req -x509 $ec -keyout "$1-ca.key" -out "$1-ca.crt" -days 2 -subj "/CN=$1 CA" 2> /dev/null
  openssl req $ec -keyout "$1.key" -out "$1.csr" -subj "$2" 2> /dev/null
  printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\n%s\n' "$3" "$4" > "$1.cnf"
  openssl x509 -req -in "$1.csr" -CA "$1-ca.crt" -CAkey "$1-ca.key" -CAcreateserial \
    -out "$1.crt" -days 2 -extfile "$1.cnf" 2> /dev/null
}
# tls_fingerprint FILE: a certificate file's SHA-256 as hex
tls_fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g'; }
# tls_pin LOG: the fingerprint in a serve --tls log's first line
tls_pin() { sed -nE 's/^listening on .*, tls (sha256:[0-9a-f]+)\)$/\1/p' "$1"; }
`;

const TLS_LISTENING = (address: string) =>
  new RegExp(
    `^listening on ${address.replaceAll(".", "\\.")} \\(mode echo, max-conns \\d+, ` +
      `tls sha256:[0-9a-f]{64}\\)\\nhi$`,
  );
/** A relay's listening line (with `tls`, serve's own TLS fingerprint), then the probe's "hi". */
const relayListening = (address: string, target: string, tls: boolean) =>
  new RegExp(
    `^listening on ${address.replaceAll(".", "\\.")} \\(mode forward to ${
      target.replaceAll(".", "\\.")
    }, max-conns \\d+${tls ? ", tls sha256:[0-9a-f]{64}" : ""}\\)\\nhi$`,
  );
const PIN_FROM_LOG = `--pin "$(tls_pin "$README_TEST_DIR/serve.log")"`;

const TLS_EXAMPLES: Example[] = [
  {
    block: "# a generated certificate, the same every run",
    servers: true,
    setup: TLS_CERTS +
      [
        'issue server /CN=localhost "DNS:localhost,IP:127.0.0.1" ""',
        'issue clients /CN=alice "DNS:alice" "extendedKeyUsage=clientAuth"',
        "mv clients.crt alice.crt && mv clients.key alice.key",
      ].join("\n"),
    lines: {
      "# a generated certificate": {
        probe: `printf hi | tcpkit connect --tls ${PIN_FROM_LOG} :8443`,
        stdout: TLS_LISTENING("127.0.0.1:8443"),
      },
      "--tls-ephemeral": {
        probe: `printf hi | tcpkit connect --tls ${PIN_FROM_LOG} :8443`,
        stdout: TLS_LISTENING("127.0.0.1:8443"),
      },
      "--cert server.crt": {
        probe: "printf hi | tcpkit connect --tls --ca server-ca.crt localhost:8443",
        stdout: TLS_LISTENING("127.0.0.1:8443"),
      },
      "--tls-name myhost.lan": {
        probe: "openssl x509 -in myhost.crt -noout -ext subjectAltName | grep -q myhost.lan && " +
          "printf hi | tcpkit connect --tls --ca myhost.crt 127.0.0.1:8443",
        stdout: TLS_LISTENING("0.0.0.0:8443"),
      },
      "--client-ca clients-ca.crt": {
        probe:
          `printf hi | tcpkit connect --tls ${PIN_FROM_LOG} --cert alice.crt --key alice.key :8443`,
        stdout: TLS_LISTENING("127.0.0.1:8443"),
      },
    },
  },
  {
    block: "# TLS in front of a plain service",
    servers: true,
    setup: TLS_CERTS +
      [
        // example.org is this sandbox's loopback, its CA one of the "system's" certificates
        'echo "127.0.0.1 example.org localhost" > /tmp/hosts && mount --bind /tmp/hosts /etc/hosts',
        'issue example /CN=example.org "DNS:example.org,DNS:localhost,IP:127.0.0.1" ""',
        'export SSL_CERT_FILE="$PWD/example-ca.crt"',
        "start_server :9000",
        "start_server :443 --tls --cert example.crt --key example.key",
        "start_server :9443 --tls --tls-ephemeral --cert-out upstream.crt",
        'export PIN="sha256:$(tls_fingerprint upstream.crt)"',
      ].join("\n"),
    lines: {
      "# TLS in front of a plain service": {
        probe: `printf hi | tcpkit connect --tls ${PIN_FROM_LOG} :8443`,
        stdout: relayListening("127.0.0.1:8443", "127.0.0.1:9000", true),
      },
      "# plain here, TLS to the service": {
        probe: "printf hi | tcpkit connect :8080",
        stdout: relayListening("127.0.0.1:8080", "example.org:443", false),
      },
      '--forward-pin "$PIN"': {
        probe: "printf hi | tcpkit connect :8080",
        stdout: relayListening("127.0.0.1:8080", "127.0.0.1:9443", false),
      },
      "--forward-ca upstream.crt": {
        probe: `printf hi | tcpkit connect --tls ${PIN_FROM_LOG} :8443`,
        stdout: relayListening("127.0.0.1:8443", "127.0.0.1:9443", true),
      },
    },
  },
  {
    block: "tcpkit connect --tls example.org:443",
    setup: TLS_CERTS +
      [
        // example.org is this sandbox's loopback, its CA one of the "system's" certificates
        'echo "127.0.0.1 example.org localhost" > /tmp/hosts && mount --bind /tmp/hosts /etc/hosts',
        'issue example /CN=example.org "DNS:example.org,DNS:localhost,IP:127.0.0.1" ""',
        'export SSL_CERT_FILE="$PWD/example-ca.crt"',
        "start_server :443 --tls --cert example.crt --key example.key",
        "start_server :8443 --tls --tls-ephemeral --cert-out myhost.crt",
        'export PIN="sha256:$(tls_fingerprint myhost.crt)"',
        'issue alice /CN=alice "DNS:alice" "extendedKeyUsage=clientAuth"',
        "start_server :9443 --tls --tls-ephemeral --cert-out mtls.crt --client-ca alice-ca.crt",
        'export MTLS_PIN="sha256:$(tls_fingerprint mtls.crt)"',
        "echo 'a request' > request.txt",
      ].join("\n"),
    lines: {
      "example.org:443 < request.txt": { stdout: "a request\n", stderr: "" },
      "--ca myhost.crt": { stdout: "a request\n", stderr: "" },
      '--pin "$PIN" 127.0.0.1:8443 <': { stdout: "a request\n", stderr: "" },
      "-k 127.0.0.1:8443": {
        stdout: "a request\n",
        stderr:
          /^tcpkit: warning: not verifying "127\.0\.0\.1:8443" \(--insecure\); its certificate is sha256:[0-9a-f]{64} \(CN=localhost, O=tcpkit\)\n$/,
      },
      "--servername example.org": {
        stdout: "",
        stderr:
          /tcpkit: TLS TLSv1\.3 TLS_\w+, ALPN none, certificate sha256:[0-9a-f]{64} \(CN=example\.org\), verified\n/,
      },
      "--cert alice.crt": { stdout: "a request\n", stderr: "" },
      "-z --tls": { stdout: "", stderr: "" },
    },
  },
  {
    block: "# embedded TLS echo server",
    setup: TLS_CERTS + [
      "start_server :8443 --tls --tls-ephemeral --cert-out c.crt",
      'export PIN="sha256:$(tls_fingerprint c.crt)"',
    ].join("\n"),
    cutBench: true,
    lines: {
      "# embedded TLS echo server": {
        stdout: /\n {2}TLS TLSv1\.3 [\s\S]*\(verified\)\n[\s\S]*\nNo errors/,
      },
      "--mode connect -c 10": { stdout: /handshakes\/s[\s\S]*\n {2}handshake [\s\S]*\nNo errors/ },
      "-c 20 -s 16k": { stdout: /\(pinned\)[\s\S]*\nNo errors/ },
    },
  },
  {
    block: "tcpkit serve --tls :8443 2> server.log &",
    lines: {
      "printf 'over TLS": { stdout: "over TLS\n" },
      "trusted and up": { stdout: "trusted and up\n" },
    },
  },
];

/** Every example: the table above, then the TLS section's. */
const ALL_EXAMPLES: Example[] = [...EXAMPLES, ...TLS_EXAMPLES];

/** At least this many README shell blocks must run (the rest carry a skip marker). */
const MIN_BLOCKS_RUN = 14;
/** A run that takes longer is killed and fails. */
const RUN_TIMEOUT_MS = 25_000;

/** Helpers for `setup`, `after` and the generated code, and the shell options of a terminal. */
const PRELUDE = String.raw`
# stdout to a file, stdin and stderr stay the terminal (job control needs stderr to be it)
exec > "$README_TEST_DIR/stdout"
set -euo pipefail
set -m  # job control, as in an interactive shell
# background jobs end with the run (they hold the terminal, which would keep script going)
end_jobs() {
  local code=$?
  for job in $(jobs -p); do kill -KILL -- "-$job" 2> /dev/null || true; done
  exit "$code"
}
trap end_jobs EXIT

# start_server ADDRESS [FLAG...]: a tcpkit server in the background, accepting on return
start_server() {
  command tcpkit serve "$@" --quiet 2>> "$README_TEST_DIR/servers.log" &
  command tcpkit connect -z --wait 10s "$1"
}

# expect_exit CODE COMMAND...: COMMAND must exit with CODE
expect_exit() {
  local want=$1 code=0
  shift
  "$@" || code=$?
  [ "$code" = "$want" ] || { echo "exit $code, expected $want" >&2; return 1; }
}

# server_started PID LOG: waits for a background server's first stderr line and prints it
server_started() {
  until [ "$(wc -l < "$2")" -gt 0 ]; do
    kill -0 "$1" 2> /dev/null || { cat "$2" >&2; return 1; }
    sleep 0.05
  done
  head -n 1 "$2"
}

# stop_server PID LOG: SIGTERM, as a service manager sends it; the server drains and exits 0
stop_server() {
  kill -TERM "$1"
  wait "$1"
  cat "$2" >&2
  grep -q '^summary: ' "$2"
}
`;

/** Replaces `tcpkit` for bench runs; see `Example.cutBench`. */
const CUT_BENCH = String.raw`
# tcpkit bench ARGS, stopped with SIGINT (Ctrl-C) once it has measured a second; it then
# prints the results so far. A run with a count (-n) ends by itself.
tcpkit() {
  if [ "$1" != bench ] || [[ " $* " =~ \ (-n|--count)\  ]]; then command tcpkit "$@"; return; fi
  local err="$README_TEST_DIR/bench.err" pid code=0
  : > "$err"
  command tcpkit "$@" 2> >(tee "$err" >&2) &
  pid=$!
  # a progress line not marked (warmup): a measured second (no grep -q: its early exit
  # would fail the pipeline)
  until grep '^\[' "$err" | grep -v '(warmup)$' > /dev/null; do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -INT "$pid" 2> /dev/null || true
  wait "$pid" || code=$?
  [ "$code" = 130 ] && code=0  # interrupted on purpose; it printed its results so far
  return "$code"
}
`;

/**
 * Run by `unshare`, as root of the new namespaces: sets up the sandbox and runs `run.sh` in
 * a terminal.
 */
const INIT = String.raw`
set -e
ip link set lo up
fresh=$1
shift
# the host's /tmp stays reachable inside the fresh one, for the paths tcpkit needs from it
# (a checkout, a Deno binary or cache under /tmp): each is bound back at its own path
mkdir "$fresh/.host-tmp"
mount --bind /tmp "$fresh/.host-tmp"
mount --rbind "$fresh" /tmp
for path in "$@"; do
  mkdir -p "$path"
  mount --bind "/tmp/.host-tmp/$(printf %s "$path" | sed 's#^/tmp/##')" "$path"
done
cd /tmp/work
# in the background, not exec'd: PID 1 inherits every orphan, and script would take the
# death of one for its own child's
script -qec "bash /tmp/run.sh" /dev/null < /tmp/typed > /tmp/terminal &
run=$!
# a stopped process waits for a terminal nobody will give it: say so rather than time out
while kill -0 "$run" 2> /dev/null; do
  for status in $(grep -ls '^State:.*(stopped)' /proc/[0-9]*/status); do
    echo "stopped (a background job that reads the terminal?):" \
      "$(tr '\0' ' ' < "$(dirname "$status")/cmdline")" >&2
    exit 1
  done
  sleep 0.2
done
code=0
wait "$run" || code=$?
exit "$code"
`;

const UNSHARE = [
  "--user",
  "--map-root-user",
  "--net",
  "--mount",
  "--pid",
  "--fork",
  "--kill-child",
  "--mount-proc",
];

interface Run {
  /** Where in the README, for messages. */
  name: string;
  example: Example;
  /** The README lines it runs, with their line numbers. */
  lines: { line: number; code: string; check?: LineCheck }[];
  script: string;
}

interface RunResult {
  code: number;
  timedOut: boolean;
  stdout: string;
  /** What the terminal showed: stderr, and the typed input's echo. */
  stderr: string;
  /** The sandbox's own errors. */
  sandbox: string;
  /** The logs of the servers the run started. */
  logs: string;
}

function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function isCommand(code: string): boolean {
  return code.trim() !== "" && !code.trim().startsWith("#");
}

/** The example for a block, if any, and the check for each of its lines. */
function plan(block: ReadmeBlock): { example: Example; checks: (LineCheck | undefined)[] } {
  const examples = ALL_EXAMPLES.filter((example) => block.lines[0].includes(example.block));
  if (examples.length > 1) throw new Error(`README.md:${block.line}: two examples for one block`);
  const example = examples[0] ?? { block: block.lines[0] };
  const checks: (LineCheck | undefined)[] = block.lines.map(() => undefined);
  for (const [key, check] of Object.entries(example.lines ?? {})) {
    const found = block.lines.flatMap((code, i) => code.includes(key) ? [i] : []);
    if (found.length !== 1) {
      throw new Error(`README.md:${block.line}: "${key}" is in ${found.length} lines of the block`);
    }
    checks[found[0]] = check;
  }
  return { example, checks };
}

/** The runs for the README's shell blocks, and the blocks skipped (with their reasons). */
function planRuns(): { runs: Run[]; blocksRun: number; skipped: ReadmeBlock[] } {
  const blocks = readmeBlocks(README).filter((block) => SHELL_LANGS.has(block.lang));
  const runs: Run[] = [];
  for (const example of ALL_EXAMPLES) {
    const found = blocks.filter((block) => block.lines[0].includes(example.block));
    if (found.length !== 1 || found[0].skip) {
      throw new Error(`not one README block to run has "${example.block}" in its first line`);
    }
  }
  for (const block of blocks.filter((block) => !block.skip)) {
    const { example, checks } = plan(block);
    const lines = block.lines.map((code, i) => ({ line: block.line + i, code, check: checks[i] }));
    if (example.servers) {
      for (const line of lines.filter((line) => isCommand(line.code))) {
        runs.push({
          name: `README.md:${line.line}`,
          example,
          lines: [line],
          script: script(example, [line], true),
        });
      }
    } else {
      runs.push({
        name: `README.md:${block.line}`,
        example,
        lines,
        script: script(example, lines, false),
      });
    }
  }
  const skipped = blocks.filter((block) => block.skip);
  return { runs, blocksRun: blocks.length - skipped.length, skipped };
}

/**
 * The shell script of a run. Before each README line it writes NUL, the line number, NUL
 * on stdout and a `+ README.md:N: LINE` trace on stderr, so output can be told apart by
 * line; then `after`, then `end`.
 */
function script(example: Example, lines: Run["lines"], servers: boolean): string {
  const out = [PRELUDE, example.cutBench ? CUT_BENCH : "", example.setup ?? ""];
  let continued = false;
  for (const { line, code, check } of lines) {
    if (isCommand(code) && !continued) {
      out.push(
        `printf '\\0%s\\0' ${line}`,
        `printf '+ README.md:%s: %s\\n' ${line} ${shQuote(code)} >&2`,
      );
    }
    continued = /(\\|\||&&)\s*$/.test(code);
    if (servers) {
      const log = '"$README_TEST_DIR/serve.log"';
      out.push(
        `${code.replace(/\s+#[^'"]*$/, "")} 2> ${log} &`,
        "server=$!",
        `server_started "$server" ${log}`,
        check?.probe ?? "",
        `stop_server "$server" ${log}`,
      );
    } else if (check?.exit !== undefined) {
      out.push(`expect_exit ${check.exit} ${code}`);
    } else {
      out.push(code);
    }
  }
  out.push("printf '\\0after\\0'", example.after ?? "", "printf '\\0end\\0'", "");
  return out.join("\n");
}

/** The wrapper on PATH: the `tcpkit` task of deno.json, from any directory. */
function wrapper(): string {
  const { command, args } = cliCommand();
  const argv = [command, ...args.map((arg) => arg.endsWith(".ts") ? `${ROOT}${arg}` : arg)];
  return `#!/bin/sh\nexec ${argv.map(shQuote).join(" ")} "$@"\n`;
}

/** Runs one block (or line) in a fresh sandbox and returns what it did. */
async function execute(run: Run): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "tcpkit_readme_" });
  try {
    for (const sub of ["bin", "work", "home"]) await Deno.mkdir(`${dir}/${sub}`);
    await Deno.writeTextFile(`${dir}/bin/tcpkit`, wrapper(), { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/run.sh`, run.script);
    await Deno.writeTextFile(`${dir}/typed`, run.example.typed ?? "");
    const child = new Deno.Command("unshare", {
      args: [...UNSHARE, "bash", "-c", INIT, "init", dir, ...UNDER_TMP],
      env: {
        PATH: `/tmp/bin:${Deno.env.get("PATH")}`,
        HOME: "/tmp/home",
        TMPDIR: "/tmp",
        DENO_DIR,
        README_TEST_DIR: "/tmp",
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL"); // --kill-child and the PID namespace take every process with it
    }, RUN_TIMEOUT_MS);
    const output = await child.output().finally(() => clearTimeout(timer));
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`).catch(() => "");
    const decoder = new TextDecoder();
    return {
      code: output.code,
      timedOut,
      stdout: await read("stdout"),
      stderr: (await read("terminal")).replaceAll("\r\n", "\n"),
      sandbox: decoder.decode(output.stdout) + decoder.decode(output.stderr),
      logs: (await read("servers.log")) + (await read("serve.log")),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Output split by README line (and `after`, `end`): NUL, line number, NUL, output. */
function byLine(stdout: string): Map<string, string> {
  const parts = stdout.split("\0");
  const chunks = new Map<string, string>();
  for (let i = 1; i + 1 < parts.length; i += 2) chunks.set(parts[i], parts[i + 1]);
  return chunks;
}

/** stderr split by the `+ README.md:N: ...` traces. */
function stderrByLine(stderr: string): Map<string, string> {
  const chunks = new Map<string, string>();
  const parts = stderr.split(/^\+ README\.md:(\d+): .*\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) chunks.set(parts[i], parts[i + 1]);
  return chunks;
}

function matches(actual: string, expected: string | RegExp): boolean {
  return typeof expected === "string" ? actual === expected : expected.test(actual);
}

/** What is wrong with a run's result; empty if nothing. */
function problems(run: Run, result: RunResult): string[] {
  const found: string[] = [];
  const stdout = byLine(result.stdout);
  const stderr = stderrByLine(result.stderr);
  const started = [...stdout.keys()].filter((key) => /^\d+$/.test(key));
  // the lines that ran to their end: all that started, unless one failed
  const finished = new Set(stdout.has("after") ? started : started.slice(0, -1));
  if (result.timedOut) found.push(`still running after ${RUN_TIMEOUT_MS / 1000}s`);
  if (result.code !== 0 || !stdout.has("end")) {
    const where = stdout.has("after") ? "after the block" : `README.md:${started.at(-1) ?? "?"}`;
    found.push(`exit ${result.code} at ${where}`);
  }
  for (const { line, check } of run.lines.filter(({ line }) => finished.has(String(line)))) {
    for (const [stream, chunks] of [["stdout", stdout], ["stderr", stderr]] as const) {
      const expected = check?.[stream];
      const actual = chunks.get(String(line)) ?? "";
      if (expected !== undefined && !matches(actual, expected)) {
        found.push(
          `README.md:${line} ${stream}: ${JSON.stringify(actual.slice(0, 600))}, expected ${
            typeof expected === "string" ? JSON.stringify(expected) : expected
          }`,
        );
      }
    }
  }
  if (run.example.stderr && !run.example.stderr.test(result.stderr)) {
    found.push(`stderr does not match ${run.example.stderr}`);
  }
  return found;
}

function report(run: Run, result: RunResult, found: string[]): string {
  const tail = (text: string) => text.length > 3000 ? `…${text.slice(-3000)}` : text;
  return [
    `${run.name}: ${found.join("\n  ")}`,
    `--- stdout ---\n${tail(result.stdout.replaceAll("\0", "|"))}`,
    `--- terminal (stderr) ---\n${tail(result.stderr)}`,
    `--- sandbox ---\n${tail(result.sandbox)}`,
    `--- server logs ---\n${tail(result.logs)}`,
  ].join("\n");
}

/** Deno's cache, which runs must keep although their HOME is elsewhere. */
const DENO_DIR: string = JSON.parse(
  new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output()).stdout,
  ),
).denoDir;

/** Directories under /tmp that a run needs (each run gets its own /tmp): bound back in. */
const UNDER_TMP = [ROOT, Deno.execPath().replace(/\/[^/]*$/, ""), DENO_DIR]
  .map((path) => path.replace(/\/$/, ""))
  .filter((path) => path.startsWith("/tmp/"));

/**
 * `.ci/run` sets this: there the sandbox must work, so a missing tool fails the test
 * instead of skipping it, and the README is always exercised.
 */
const REQUIRED = Deno.env.get("TCPKIT_README_RUN") === "required";

/** Why the sandbox cannot be had here, if it cannot. */
async function sandboxProblem(): Promise<string | undefined> {
  const probe = "ip link set lo up && for tool in script jq sha256sum; do " +
    'command -v "$tool" > /dev/null || { echo "no $tool" >&2; exit 1; }; done';
  try {
    const output = await new Deno.Command("unshare", {
      args: [...UNSHARE, "bash", "-c", probe],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!output.success) {
      return `unshare ${UNSHARE.join(" ")} (or ip, script, jq, sha256sum) failed: ${
        new TextDecoder().decode(output.stderr).trim().split("\n")[0]
      }`;
    }
  } catch (error) {
    return `cannot run unshare: ${(error as Error).message}`;
  }
}

const SANDBOX_PROBLEM = await sandboxProblem();

/** Maps `items` through `fn`, at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

Deno.test("every README shell block is run, or marked with why not", () => {
  const { runs, blocksRun, skipped } = planRuns();
  assert(blocksRun >= MIN_BLOCKS_RUN, `only ${blocksRun} README blocks run`);
  assert(runs.length >= blocksRun);
  for (const block of skipped) assert(block.skip!.trim() !== "", `README.md:${block.line}`);
});

Deno.test({
  // the reason shows in the report when the test is ignored
  name: `README examples run on loopback${
    SANDBOX_PROBLEM ? ` (cannot here: ${SANDBOX_PROBLEM})` : ""
  }`,
  ignore: SANDBOX_PROBLEM !== undefined && !REQUIRED,
  async fn() {
    if (SANDBOX_PROBLEM) throw new Error(`cannot run the README examples: ${SANDBOX_PROBLEM}`);
    const { runs } = planRuns();
    const limit = Math.max(2, navigator.hardwareConcurrency);
    const failures = await pool(runs, limit, async (run) => {
      const result = await execute(run);
      const found = problems(run, result);
      return found.length ? report(run, result, found) : undefined;
    });
    const failed = failures.filter((failure) => failure !== undefined);
    assertEquals(failed.length, 0, `\n${failed.join("\n\n")}`);
  },
});
