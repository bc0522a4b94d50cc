import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  artifactName,
  compileArgs,
  describeCompileFailure,
  parseCompileTask,
  selectTargets,
  sha256sumsText,
  TARGETS,
} from "../scripts/release.ts";
import denoJson from "../deno.json" with { type: "json" };
import { ROOT, sha256 } from "./helpers.ts";

Deno.test("release: the compile task's flags are the one declaration", async () => {
  const spec = parseCompileTask(denoJson.tasks.compile);
  assertEquals(spec.entry, "main.ts");
  // The binary gets the same permission set the e2e tests run the CLI with.
  const permission = denoJson.tasks.tcpkit.split(/\s+/).find((w) => w.startsWith("-P="));
  assert(permission && spec.flags.includes(permission), `${permission} in ${spec.flags}`);
  // Every Worker module is bundled.
  for await (const entry of walkTs(`${ROOT}lib`)) {
    const source = await Deno.readTextFile(entry);
    for (const match of source.matchAll(/new Worker\(new URL\("(\.{1,2}\/[\w./]+)"/g)) {
      const module = new URL(match[1], `file://${entry}`).pathname.slice(ROOT.length);
      const include = spec.flags.indexOf(module);
      assert(include > 0 && spec.flags[include - 1] === "--include", `--include ${module}`);
    }
  }
  assert(denoJson.tasks.release.includes("scripts/release.ts"));
});

/** Every .ts file under `dir`, recursively. */
async function* walkTs(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walkTs(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("release: parsing a compile task", () => {
  assertEquals(parseCompileTask("deno compile -q -P=x --include a.ts -o dist/t main.ts"), {
    flags: ["-q", "-P=x", "--include", "a.ts"],
    entry: "main.ts",
  });
  assertEquals(parseCompileTask("deno compile --output=out -A --output o2 m.ts"), {
    flags: ["-A"],
    entry: "m.ts",
  });
  assertThrows(() => parseCompileTask("deno run main.ts"), Error, "deno compile");
  assertThrows(() => parseCompileTask("deno compile -A"), Error, "entry point");
  assertThrows(() => parseCompileTask("deno compile --target x m.ts"), Error, "--target");
});

Deno.test("release: the targets are the ones this Deno can compile for", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["compile", "--target", "none", "main.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const listed = /possible values: ([^\n]+)/.exec(stderr)?.[1];
  assert(listed, `no target list in: ${stderr}`);
  assertEquals([...TARGETS].sort(), listed.split(", ").map((t) => t.trim()).sort());
  assertEquals(selectTargets([]), [...TARGETS]);
  assertEquals(selectTargets(["aarch64-apple-darwin"]), ["aarch64-apple-darwin"]);
  assertThrows(() => selectTargets(["x86"]), Error, 'unknown target "x86"');
});

Deno.test("release: file names and compile arguments", () => {
  assertEquals(
    TARGETS.map((t) => artifactName("1.2.3", t)),
    [
      "tcpkit-1.2.3-x86_64-unknown-linux-gnu",
      "tcpkit-1.2.3-aarch64-unknown-linux-gnu",
      "tcpkit-1.2.3-x86_64-apple-darwin",
      "tcpkit-1.2.3-aarch64-apple-darwin",
      "tcpkit-1.2.3-x86_64-pc-windows-msvc.exe",
      "tcpkit-1.2.3-aarch64-pc-windows-msvc.exe",
    ],
  );
  assertEquals(
    compileArgs({ flags: ["-q", "-P=tcpkit"], entry: "main.ts" }, "x86_64-apple-darwin", "d/t"),
    ["compile", "-q", "-P=tcpkit", "--target", "x86_64-apple-darwin", "-o", "d/t", "main.ts"],
  );
});

Deno.test("release: SHA256SUMS is sorted and sha256sum -c accepts it", async () => {
  assertEquals(
    sha256sumsText([{ name: "b", sha256: "22" }, { name: "a", sha256: "11" }]),
    "11  a\n22  b\n",
  );
  const dir = await Deno.makeTempDir({ prefix: "tcpkit_release_test_" });
  try {
    const files = [];
    for (const [name, text] of [["tcpkit-0-x", "one"], ["tcpkit-0-y.exe", "two"]]) {
      const bytes = new TextEncoder().encode(text);
      await Deno.writeFile(`${dir}/${name}`, bytes);
      files.push({ name, sha256: await sha256(bytes) });
    }
    await Deno.writeTextFile(`${dir}/SHA256SUMS`, sha256sumsText(files));
    // GNU coreutils' sha256sum, or shasum where it is missing (older macOS).
    const run = (command: string, args: string[]) =>
      new Deno.Command(command, { args, cwd: dir, stdout: "piped", stderr: "piped" }).output();
    const check = await run("sha256sum", ["-c", "SHA256SUMS"]).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return run("shasum", ["-a", "256", "-c", "SHA256SUMS"]);
    });
    assertEquals(
      new TextDecoder().decode(check.stdout),
      "tcpkit-0-x: OK\ntcpkit-0-y.exe: OK\n",
    );
    assertEquals(check.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("release: deno compile failures become one line", () => {
  const download = `error: Writing deno compile executable to temporary file 'dist/x.tmp-1'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
    3: dns error
    4: failed to lookup address information: Name or service not known

Stack backtrace:
   0: <unknown>
`;
  assertEquals(
    describeCompileFailure("aarch64-apple-darwin", download),
    "tcpkit release: cannot download the Deno runtime for aarch64-apple-darwin: " +
      "https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip: " +
      "failed to lookup address information: Name or service not known " +
      "(deno compile needs internet access)",
  );
  const typeError = "\x1b[0m\x1b[1m\x1b[31mTS2322 [ERROR]\x1b[0m: Type 'string' is not assignable" +
    " to type 'number'.\n    at file:///w/main.ts:1:7\n\nerror: Type checking failed.\n";
  assertEquals(
    describeCompileFailure("x86_64-unknown-linux-gnu", typeError),
    "tcpkit release: deno compile failed for x86_64-unknown-linux-gnu: Type checking failed.",
  );
  assertEquals(
    describeCompileFailure("x86_64-unknown-linux-gnu", ""),
    "tcpkit release: deno compile failed for x86_64-unknown-linux-gnu: no error output",
  );
});
