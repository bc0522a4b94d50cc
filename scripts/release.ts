/**
 * `deno task release [TARGET...]`: builds tcpkit for every target `deno compile`
 * supports (or the ones named) into dist/tcpkit-VERSION-TARGET[.exe], then writes
 * dist/SHA256SUMS for `sha256sum -c`.
 *
 * The compile flags (permission set, Worker modules to --include) are read from the
 * `compile` task in deno.json, so they are declared once and both tasks use them;
 * unstable features come from deno.json's "unstable", which `deno compile` reads itself.
 * The exported helpers are pure and unit-tested; only `main` does I/O.
 */

import denoJson from "../deno.json" with { type: "json" };

/** Every target `deno compile --target` accepts in Deno 2.9. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
  "aarch64-pc-windows-msvc",
] as const;
export type Target = typeof TARGETS[number];

/** The `deno compile` flags and entry point of a `compile` task, without its `-o`. */
export interface CompileSpec {
  flags: string[];
  entry: string;
}

/** Splits `deno compile FLAGS -o OUT ENTRY` into its flags and entry point. */
export function parseCompileTask(task: string): CompileSpec {
  const words = task.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "compile") {
    throw new Error(`the compile task must start with "deno compile": ${task}`);
  }
  const rest = words.slice(2);
  const entry = rest.pop();
  if (entry === undefined || entry.startsWith("-")) {
    throw new Error(`the compile task must end with its entry point: ${task}`);
  }
  const flags: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (word === "-o" || word === "--output") i++;
    else if (word.startsWith("--output=") || word.startsWith("-o=")) continue;
    else if (word === "--target" || word.startsWith("--target=")) {
      throw new Error(`the compile task must not fix a --target: ${task}`);
    } else flags.push(word);
  }
  return { flags, entry };
}

/** File name of one release binary: `tcpkit-0.1.0-x86_64-pc-windows-msvc.exe`. */
export function artifactName(version: string, target: Target): string {
  return `tcpkit-${version}-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** Arguments after `deno` that build one target into `output`. */
export function compileArgs(spec: CompileSpec, target: Target, output: string): string[] {
  return ["compile", ...spec.flags, "--target", target, "-o", output, spec.entry];
}

/** The SHA256SUMS file `sha256sum -c` reads: `HEX  NAME` lines sorted by name. */
export function sha256sumsText(files: { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join("");
}

/** One line saying why `deno compile` failed for `target`, from its stderr. */
export function describeCompileFailure(target: Target, stderr: string): string {
  // deno prints `error: ...`, numbered `N: cause` lines (the last is the root cause),
  // then a stack backtrace that says nothing to a user.
  // deno-lint-ignore no-control-regex
  const plain = stderr.replace(/\x1b\[[0-9;]*m/g, "").split(/^Stack backtrace:/m)[0];
  const lines = plain.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const error = lines.find((l) => l.startsWith("error:"))?.slice(6).trim() ?? "";
  const causes = lines.filter((l) => /^\d+: /.test(l)).map((l) => l.replace(/^\d+: /, ""));
  const root = causes.at(-1) ?? error;
  const url = /for url \((https?:[^)\s]+)\)/.exec(plain)?.[1];
  if (url || /denort|error sending request|Setting up base binary/i.test(plain)) {
    const reason = [url, root].filter((part) => part).join(": ") || "download failed";
    return `tcpkit release: cannot download the Deno runtime for ${target}: ${reason} ` +
      "(deno compile needs internet access)";
  }
  const reason = [error, ...causes].filter((l) => l !== "").join(": ") || lines[0] ||
    "no error output";
  return `tcpkit release: deno compile failed for ${target}: ${reason}`;
}

/** Which targets to build from the script's arguments (none: all). */
export function selectTargets(args: string[]): Target[] {
  if (args.length === 0) return [...TARGETS];
  return args.map((arg) => {
    const target = TARGETS.find((t) => t === arg);
    if (!target) throw new Error(`unknown target "${arg}" (targets: ${TARGETS.join(", ")})`);
    return target;
  });
}

async function sha256Hex(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(args: string[]): Promise<number> {
  let targets: Target[];
  try {
    targets = selectTargets(args);
  } catch (error) {
    console.error(`tcpkit release: ${(error as Error).message}`);
    return 2;
  }
  const root = new URL("..", import.meta.url).pathname;
  const dist = `${root}dist`;
  const spec = parseCompileTask(denoJson.tasks.compile);
  await Deno.mkdir(dist, { recursive: true });
  await Deno.remove(`${dist}/SHA256SUMS`).catch(() => {});
  const built: { name: string; sha256: string }[] = [];
  for (const target of targets) {
    const name = artifactName(denoJson.version, target);
    const output = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(spec, target, `dist/${name}`),
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (!output.success) {
      console.error(describeCompileFailure(target, new TextDecoder().decode(output.stderr)));
      return 1;
    }
    built.push({ name, sha256: await sha256Hex(`${dist}/${name}`) });
    console.error(`built dist/${name}`);
  }
  await Deno.writeTextFile(`${dist}/SHA256SUMS`, sha256sumsText(built));
  console.error(`wrote dist/SHA256SUMS (${built.length} files)`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
