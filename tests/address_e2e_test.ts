/**
 * Addresses end to end, `serve` and `connect` alike, where a private network namespace
 * shows them without touching anything outside: an IPv6 link-local address with its zone
 * (`[fe80::1%lo]`), names from a hosts file written with a final dot (`localhost.`) or in
 * Unicode (`héllo` → `xn--hllo-bpa`), and a name that cannot resolve (no DNS server is
 * reachable in the namespace, so the lookup fails at once and no query leaves).
 *
 * It runs under `unshare --user --map-root-user --net --mount`; where that is not
 * available it is skipped with the reason in its name, except when TCPKIT_README_RUN is
 * `required` (as `.ci/run` sets it), where it must run.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { cliCommand, ROOT } from "./helpers.ts";

const UNSHARE = ["--user", "--map-root-user", "--net", "--mount"];

/**
 * Sets up the namespace (loopback up, fe80::1 on it, a hosts file), then runs each
 * scenario, framing its output as `>>> NAME`, output, `<<< exit N`. `tcpkit` on PATH
 * runs the CLI.
 */
const SCRIPT = String.raw`
set -u
ip link set lo up
ip addr add fe80::1/64 dev lo nodad
hosts=$(mktemp)
printf '127.0.0.1 localhost
127.0.0.1 xn--hllo-bpa
' > "$hosts"
mount --bind "$hosts" /etc/hosts

run() { # NAME COMMAND...: runs it, framed
  name=$1
  shift
  echo ">>> $name"
  "$@" 2>&1
  echo "<<< exit $?"
}

pair() { # NAME SERVE_ADDRESS CONNECT_ADDRESS (PORT stands for the port serve got)
  log=$(mktemp)
  tcpkit serve "$2" 2> "$log" &
  pid=$!
  for _ in $(seq 400); do grep -q 'listening on' "$log" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\) (.*/\1/p' "$log")
  target=$(printf '%s' "$3" | sed "s/PORT/$port/")
  run "$1 connect" sh -c 'printf ping | tcpkit connect -v "$1"' sh "$target"
  kill "$pid"
  wait "$pid"
  run "$1 serve" cat "$log"
}

pair zone '[fe80::1%lo]:0' '[fe80::1%lo]:PORT'
pair dot 'localhost.:0' 'localhost.:PORT'
pair idn 'héllo.:0' 'héllo:PORT'
run "no zone" tcpkit connect -z '[fe80::1]:9'
run "unknown connect" tcpkit connect -z nosuchhost.invalid:9
run "unknown serve" tcpkit serve nosuchhost.invalid:0
`;

/** A `tcpkit` command for the script's PATH: the CLI as the tests run it. */
function wrapper(): string {
  const { command, args } = cliCommand();
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh\nexec ${[command, ...args].map(quote).join(" ")} "$@"\n`;
}

const REQUIRED = Deno.env.get("TCPKIT_README_RUN") === "required";

/** Why the namespace cannot be had here, if it cannot. */
async function namespaceProblem(): Promise<string | undefined> {
  try {
    const output = await new Deno.Command("unshare", {
      args: [...UNSHARE, "sh", "-c", "ip link set lo up && ip addr add fe80::1/64 dev lo nodad"],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!output.success) {
      const reason = new TextDecoder().decode(output.stderr).trim().split("\n")[0];
      return `unshare ${UNSHARE.join(" ")} or ip failed: ${reason}`;
    }
  } catch (error) {
    return `cannot run unshare: ${(error as Error).message}`;
  }
}

const PROBLEM = await namespaceProblem();

/** Each scenario's output and exit status, by name. */
function scenarios(stdout: string): Map<string, { output: string; exit: number }> {
  const found = new Map<string, { output: string; exit: number }>();
  for (const m of stdout.matchAll(/^>>> (.*)\n([\s\S]*?)<<< exit (\d+)$/gm)) {
    found.set(m[1], { output: m[2], exit: Number(m[3]) });
  }
  return found;
}

Deno.test({
  name: `addresses in a network namespace: IPv6 zone, final dot, punycode, unknown host${
    PROBLEM ? ` (cannot here: ${PROBLEM})` : ""
  }`,
  ignore: PROBLEM !== undefined && !REQUIRED,
  async fn() {
    if (PROBLEM) throw new Error(`cannot run the namespace test: ${PROBLEM}`);
    const bin = await Deno.makeTempDir({ prefix: "tcpkit_address_" });
    let output: Deno.CommandOutput;
    try {
      await Deno.writeTextFile(`${bin}/tcpkit`, wrapper(), { mode: 0o755 });
      const child = new Deno.Command("unshare", {
        args: [...UNSHARE, "--kill-child", "bash", "-c", SCRIPT],
        cwd: ROOT,
        env: { NO_COLOR: "1", PATH: `${bin}:${Deno.env.get("PATH")}` },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      output = await child.output().finally(() => clearTimeout(timer));
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
    const stdout = new TextDecoder().decode(output.stdout);
    const all = `${stdout}${new TextDecoder().decode(output.stderr)}`;
    assertEquals(output.code, 0, all);
    const runs = scenarios(stdout);
    const get = (name: string) => {
      const found = runs.get(name);
      assert(found !== undefined, `no "${name}" in:\n${all}`);
      return found;
    };

    // The zone works both ways and is shown where tcpkit knows it.
    const zone = get("zone connect");
    assertEquals(zone.exit, 0, zone.output);
    assertMatch(
      zone.output,
      /^tcpkit: connected to \[fe80::1%lo\]:(\d+) \(local \[fe80::1%lo\]:\d+\)\nping/,
    );
    assertMatch(get("zone serve").output, /^listening on \[fe80::1%lo\]:\d+ /);

    // Names are resolved without their final dot, and in punycode.
    for (const name of ["dot", "idn"]) {
      const run = get(`${name} connect`);
      assertEquals(run.exit, 0, run.output);
      assertMatch(run.output, /\nping/);
    }
    assertMatch(get("dot connect").output, /^tcpkit: connected to localhost:\d+ /);
    assertMatch(get("idn connect").output, /^tcpkit: connected to xn--hllo-bpa:\d+ /);
    assertMatch(get("idn serve").output, /^listening on 127\.0\.0\.1:\d+ /);

    // A link-local address without a zone cannot work: said before trying.
    const noZone = get("no zone");
    assertEquals(noZone.exit, 2, noZone.output);
    assertMatch(noZone.output, /link-local IPv6 address without a zone.*\[fe80::1%eth0\]/);

    // serve and connect say the same about a name that does not resolve.
    assertEquals(get("unknown connect"), {
      output: 'tcpkit: cannot connect to "nosuchhost.invalid:9": unknown host\n',
      exit: 1,
    });
    assertEquals(get("unknown serve"), {
      output: 'tcpkit: cannot listen on "nosuchhost.invalid:0": unknown host\n',
      exit: 1,
    });
  },
});
