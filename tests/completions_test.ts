import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { COMMANDS, type CommandSpec, SHELLS } from "../lib/cli/declaration.ts";
import { HELP_WIDTH, helpText } from "../lib/cli/help.ts";
import { type Invocation, parseCli } from "../lib/cli/parse.ts";
import { completionScript } from "../lib/cli/completions.ts";
import { UsageError } from "../lib/common/errors.ts";
import { runCli } from "./helpers.ts";

Deno.test("completions: parsing the command line", () => {
  for (const shell of SHELLS) {
    assertEquals(parseCli(["completions", shell]), { command: "completions", shell });
  }
  const help: Invocation = { command: "help", topic: "completions" };
  assertEquals(parseCli(["completions", "--help"]), help);
  assertEquals(parseCli(["completions", "bash", "-h"]), help);
  assertEquals(parseCli(["help", "completions"]), help);
  assert(helpText("tcpkit", HELP_WIDTH).includes("completions"));
  assert(helpText("completions", HELP_WIDTH).includes("tcpkit completions zsh >"));
  const errors: [string[], string][] = [
    [["completions"], "missing SHELL (one of bash, zsh, fish)"],
    [["completions", "ksh"], 'unknown shell "ksh"'],
    [["completions", "bash", "zsh"], 'unexpected argument "zsh"'],
    [["completions", "--shell=bash"], 'completions: unknown flag "--shell"'],
  ];
  for (const [argv, message] of errors) assertThrows(() => parseCli(argv), UsageError, message);
});

Deno.test("completions: every shell's script names every command, flag and choice", () => {
  for (const shell of SHELLS) {
    const script = completionScript(shell);
    for (const name of ["completions", "help", ...SHELLS]) assert(script.includes(name), name);
    for (const command of COMMANDS) {
      assert(script.includes(command.name), `${shell}: ${command.name}`);
      for (const flag of command.flags) {
        // fish writes `-l mode -s c`; bash and zsh write `--mode` and `-c`.
        const long = shell === "fish" ? `-l ${flag.name} ` : `--${flag.name}`;
        assert(script.includes(long), `${shell}: ${command.name} --${flag.name}`);
        if (flag.short) {
          const short = shell === "fish" ? `-s ${flag.short} ` : `-${flag.short}`;
          assert(script.includes(short), `${shell}: ${command.name} -${flag.short}`);
        }
        for (const choice of flag.choices ?? []) assert(script.includes(choice), choice);
      }
    }
    assert(script.endsWith("\n"), `${shell} script ends with a newline`);
  }
});

Deno.test("completions: zsh and fish scripts", () => {
  const zsh = completionScript("zsh");
  assert(zsh.startsWith("#compdef tcpkit\n"));
  assert(zsh.includes("compdef _tcpkit tcpkit"));
  // Per-command choices, and help text with its colons escaped for _arguments.
  assertMatch(zsh, /'--mode=\[echo\\: write back every byte;[^']*\]:MODE:\(echo discard source\)'/);
  assertMatch(zsh, /'--mode=\[[^']*\]:MODE:\(echo stream connect\)'/);
  assert(zsh.includes(`'(--quiet -q)-q[No per-connection log lines]'`));
  assert(zsh.includes(`'--send-file=[`) && zsh.includes(":PATH:_files'"));
  assert(zsh.includes("'1:shell:(bash zsh fish)'"));
  assert(zsh.includes("'serve:Run a TCP server"));

  const fish = completionScript("fish");
  assert(fish.includes("complete -c tcpkit -f\n"));
  assert(fish.includes("complete -c tcpkit -n __fish_use_subcommand -a serve -d 'Run a TCP"));
  assertMatch(
    fish,
    /complete -c tcpkit -n '__fish_seen_subcommand_from serve' -l mode -x -a 'echo discard source' -d/,
  );
  assertMatch(
    fish,
    /-n '__fish_seen_subcommand_from bench; and not __fish_seen_subcommand_from merge compare plot' -l connections -s c -x -d 'Concurrent connections'/,
  );
  assertMatch(fish, /-n '__fish_seen_subcommand_from connect' -l send-file -r -F -d/);
  assertMatch(fish, /-n '__fish_seen_subcommand_from completions; and not [^']*' -a zsh -d/);
});

Deno.test("completions: every word offered has a description (fish: help completions)", () => {
  const fish = completionScript("fish");
  const described = fish.split("\n").filter((line) => line.includes(" -d "));
  assert(described.length > 40);
  for (const line of described) assertMatch(line, / -d '[^']+/, line);
  assertMatch(fish, /-n '__fish_seen_subcommand_from help; [^']*' -a completions -d 'Print a/);
  const zsh = completionScript("zsh");
  assert(zsh.includes("    'completions:Print a shell completion script"));
  assert(!/'[a-z]+:'$/m.test(zsh), "a zsh command without a description");
});

Deno.test("completions: quoting of help text, and words that cannot be completed", () => {
  const spec: CommandSpec = {
    name: "demo",
    summary: "It's [a] demo: $HOME `x` \\",
    args: "",
    argsHelp: [],
    minArgs: 0,
    maxArgs: 0,
    flags: [{ name: "x", kind: "choice", metavar: "X", choices: ["a", "b"], help: "It's: [x]" }],
    examples: [],
  };
  assert(completionScript("fish", [spec]).includes(`-d 'It\\'s [a] demo: $HOME \`x\` \\\\'`));
  assert(completionScript("zsh", [spec]).includes(`'--x=[It'\\''s\\: \\[x\\]]:X:(a b)'`));
  assert(completionScript("zsh", [spec]).includes(`'demo:It'\\''s [a] demo`));
  const bad = { ...spec, flags: [{ ...spec.flags[0], choices: ["a b"] }] };
  for (const shell of SHELLS) assertThrows(() => completionScript(shell, [bad]), Error, '"a b"');
});

/** Sources the script in bash and returns COMPREPLY for each command line (last word = cursor). */
async function bashComplete(script: string, lines: string[][]): Promise<string[]> {
  const driver = `
set -u
eval "$TCPKIT_COMPLETION"
spec=$(complete -p tcpkit) || exit 3
fn=\${spec#*-F }; fn=\${fn%% *}
while IFS= read -r line; do
  eval "COMP_WORDS=($line)"
  COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
  COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
  COMPREPLY=()
  "$fn" tcpkit "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD - 1]}"
  echo "\${COMPREPLY[*]}"
done
`;
  const child = new Deno.Command("bash", {
    args: ["--norc", "--noprofile", "-c", driver],
    env: { TCPKIT_COMPLETION: script },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const input = lines.map((words) => words.map((w) => `'${w}'`).join(" ")).join("\n") + "\n";
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals({ code: output.code, stderr }, { code: 0, stderr: "" });
  return new TextDecoder().decode(output.stdout).split("\n").slice(0, -1);
}

Deno.test("completions: the bash script from the CLI completes in bash", async () => {
  const result = await runCli(["completions", "bash"]);
  assertEquals({ code: result.code, stderr: result.stderr }, { code: 0, stderr: "" });
  assertEquals(result.stdoutText, completionScript("bash"));
  const table: [string[], string][] = [
    [["tcpkit", "se"], "serve"],
    [["tcpkit", "c"], "connect completions"],
    [["tcpkit", "--v"], "--version"],
    [["tcpkit", "serve", "--mo"], "--mode"],
    [["tcpkit", "serve", "--mode", ""], "echo discard source"],
    [["tcpkit", "serve", ":0", "--mode", "d"], "discard"],
    [["tcpkit", "serve", "--mode", "=", "s"], "source"], // --mode=s as bash splits it
    [["tcpkit", "serve", "--log", ""], "text json"],
    [["tcpkit", "bench", "--mode", ""], "echo stream connect"],
    [["tcpkit", "bench", "-d", ""], ""],
    [["tcpkit", "connect", "--cr"], "--crlf"],
    [["tcpkit", "connect", "-z", "--w"], "--wait"],
    [["tcpkit", "completions", ""], "bash zsh fish"],
    [["tcpkit", "completions", "bash", ""], ""],
    [["tcpkit", "help", "b"], "bench"],
    [["tcpkit", "bench", ""], "merge compare plot"],
    [["tcpkit", "bench", "c"], "compare"],
    [["tcpkit", "bench", "-c", "5", ""], ""], // a subcommand comes right after bench
    [["tcpkit", "bench", "merge", "-"], "--help -h"],
    [["tcpkit", "bench", "merge", "a.json", ""], ""], // file names, from -o default
    [["tcpkit", "bench", "compare", "--j"], "--json"],
    [["tcpkit", "bench", "plot", "a.json", "--t"], "--title"],
    [["tcpkit", "bench", "plot", "--title", ""], ""],
    [["tcpkit", "bench", "--s"], "--size --svg --servername"],
  ];
  const replies = await bashComplete(result.stdoutText, table.map(([words]) => words));
  assertEquals(
    replies.map((reply, i) => [table[i][0].join(" "), reply]),
    table.map(([words, expected]) => [words.join(" "), expected]),
  );
});

/** Whether fish is installed (it is optional: the fish test is skipped, with its reason, without it). */
const HAS_FISH = new Deno.Command("sh", { args: ["-c", "command -v fish"], stdout: "null" })
  .outputSync().success;

Deno.test({
  name: `completions: the fish script from the CLI completes in fish${
    HAS_FISH ? "" : " (skipped: fish is not installed)"
  }`,
  ignore: !HAS_FISH,
  async fn() {
    const result = await runCli(["completions", "fish"]);
    assertEquals({ code: result.code, stderr: result.stderr }, { code: 0, stderr: "" });
    const table: [string, string[]][] = [
      ["tcpkit se", ["serve"]],
      ["tcpkit serve --mode ", ["discard", "echo", "source"]],
      ["tcpkit completions ", ["bash", "fish", "zsh"]],
      ["tcpkit completions bash ", []],
      ["tcpkit help ", ["bench", "completions", "connect", "serve"]],
      ["tcpkit help completions ", []], // help takes one command: no shells, no commands
    ];
    for (const [line, expected] of table) {
      const output = await new Deno.Command("fish", {
        args: [
          "--no-config",
          "-c",
          "function tcpkit; end; eval $argv[1]; complete -C $argv[2]",
          result.stdoutText,
          line,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assertEquals({ code: output.code, stderr }, { code: 0, stderr: "" }, line);
      const offered = new TextDecoder().decode(output.stdout).split("\n").filter((l) => l);
      // Every word comes with a description: "word<TAB>description".
      for (const entry of offered) assertMatch(entry, /^\S+\t\S/, `${line}: ${entry}`);
      assertEquals(offered.map((entry) => entry.split("\t")[0]), expected, line);
    }
  },
});
