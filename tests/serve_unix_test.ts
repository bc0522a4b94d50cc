/**
 * `serve unix:PATH` never destroys what is at PATH: only a socket nobody accepts on is
 * replaced; anything else is refused with one line and exit 1, and left as it was. Each
 * case is set up with real files in a temporary directory and run through the CLI.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { LineReader, makeStaleSocket, runCli, spawnCli, startServe } from "./helpers.ts";

/** What an lstat of `path` shows, for comparing before and after (never follows links). */
async function snapshot(path: string): Promise<string> {
  const info = await Deno.lstat(path);
  const kind = info.isSymlink
    ? `symlink -> ${await Deno.readLink(path)}`
    : info.isDirectory
    ? `dir [${(await Array.fromAsync(Deno.readDir(path))).map((e) => e.name).sort()}]`
    : info.isFile
    ? `file ${JSON.stringify(await Deno.readTextFile(path))}`
    : info.isSocket
    ? "socket"
    : "other";
  return `${kind} ino ${info.ino} mode ${info.mode}`;
}

async function expectRefused(path: string, reason: RegExp) {
  const before = await snapshot(path);
  const result = await runCli(["serve", `unix:${path}`]);
  assertEquals(result.code, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, result.stderr);
  assertMatch(lines[0], new RegExp(`^tcpkit: cannot listen on "unix:${path}": `));
  assertMatch(lines[0], reason);
  assertEquals(await snapshot(path), before, `${path} was changed`);
}

Deno.test("serve unix:PATH refuses a file, a link or a directory and leaves it untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "precious data\n");
    await expectRefused(`${dir}/file`, /a regular file is in the way/);
    const emptyFile = `${dir}/empty`;
    await Deno.writeTextFile(emptyFile, "");
    await expectRefused(emptyFile, /a regular file is in the way/);

    await Deno.symlink(`${dir}/file`, `${dir}/link`);
    await expectRefused(`${dir}/link`, /a symbolic link is in the way/);
    await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling`);
    await expectRefused(`${dir}/dangling`, /a symbolic link is in the way/);

    await Deno.mkdir(`${dir}/empty-dir`);
    await expectRefused(`${dir}/empty-dir`, /a directory is in the way/);
    await Deno.mkdir(`${dir}/full-dir`);
    await Deno.writeTextFile(`${dir}/full-dir/inside`, "x");
    await expectRefused(`${dir}/full-dir`, /a directory is in the way/);

    assertEquals(await Deno.readTextFile(`${dir}/file`), "precious data\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve unix:PATH refuses a socket a server listens on, and a link to a stale one", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/live.sock`;
  const live = Deno.listen({ transport: "unix", path });
  try {
    await expectRefused(path, /address already in use \(a server is listening there\)/);
    // The live server still accepts.
    const accepting = live.accept();
    const conn = await Deno.connect({ transport: "unix", path });
    (await accepting).close();
    conn.close();

    // A stale socket reached through a symbolic link: the link is not followed.
    const stale = `${dir}/stale.sock`;
    await makeStaleSocket(stale);
    await Deno.symlink(stale, `${dir}/to-stale`);
    await expectRefused(`${dir}/to-stale`, /a symbolic link is in the way/);
    assert((await Deno.lstat(stale)).isSocket);
  } finally {
    live.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve unix:PATH replaces a stale socket (its server was killed)", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  try {
    await makeStaleSocket(path);
    const server = await startServe([`unix:${path}`, "--quiet"]);
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(new Uint8Array([7]));
    const buf = new Uint8Array(1);
    assertEquals(await conn.read(buf), 1);
    assertEquals(buf[0], 7);
    conn.close();
    assertEquals(await server.stop(), 0);
    assertEquals(await Deno.lstat(path).then(() => "exists", () => "removed"), "removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--unix-mode sets the socket file's permissions; without it they come from the umask", async () => {
  const dir = await Deno.makeTempDir();
  const modeOf = async (path: string) => (await Deno.lstat(path)).mode! & 0o777;
  try {
    for (const [flag, expected] of [["600", 0o600], ["0660", 0o660], ["666", 0o666]] as const) {
      const path = `${dir}/m${flag}.sock`;
      const server = await startServe([`unix:${path}`, "--unix-mode", flag]);
      assertEquals((await modeOf(path)).toString(8), expected.toString(8), flag);
      assertEquals(await server.stop(), 0);
    }
    const path = `${dir}/default.sock`;
    const server = await startServe([`unix:${path}`]);
    assertEquals((await modeOf(path)).toString(8), (0o777 & ~Deno.umask()).toString(8));
    assertEquals(await server.stop(), 0);

    // serve --stdio too: the mode is set before the first connection is accepted.
    const stdioPath = `${dir}/stdio.sock`;
    const stdio = spawnCli(["serve", "--stdio", `unix:${stdioPath}`, "--unix-mode", "600"]);
    const stderr = new LineReader(stdio.stderr);
    const stdout = stdio.stdout.cancel();
    await stderr.waitFor(/listening on unix:/);
    assertEquals((await modeOf(stdioPath)).toString(8), "600");
    (await Deno.connect({ transport: "unix", path: stdioPath })).close();
    assertEquals((await stdio.status).code, 0, stderr.text);
    await stderr.done;
    await stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
