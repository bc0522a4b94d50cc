/**
 * `connect` with a terminal on stdin, driven through a pseudo-terminal (python3's pty
 * module): the prompt, sending lines, replies at any time, escaping, `exit`, Ctrl-D,
 * the peer closing, and stdout to a file (raw bytes, no escaping).
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { cliCommand, ROOT } from "./helpers.ts";
import { oneShotPeer } from "./connect_helpers.ts";

/** Runs argv in a pty; its stdin is relayed to the pty, the pty's output to stdout. */
const PTY_DRIVER = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
stdin_open = True
while True:
    watch = [fd] + ([0] if stdin_open else [])
    ready, _, _ = select.select(watch, [], [])
    if 0 in ready:
        data = os.read(0, 4096)
        if data:
            os.write(fd, data)
        else:
            os.write(fd, b"\\x04")  # Ctrl-D
            stdin_open = False
    if fd in ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

class PtySession {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reading: Promise<void>;
  output = "";

  /** `stdoutPath`: the CLI's stdout goes to this file instead of the terminal. */
  constructor(args: string[], options: { stdoutPath?: string } = {}) {
    const { command, args: base } = cliCommand();
    const argv = [command, ...base, ...args];
    if (options.stdoutPath !== undefined) {
      argv.unshift("/bin/sh", "-c", 'exec "$@" > "$0"', options.stdoutPath);
    }
    const child = new Deno.Command("python3", {
      args: ["-c", PTY_DRIVER, ...argv],
      cwd: ROOT,
      env: { NO_COLOR: "1", TERM: "xterm" },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reading = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        this.output += chunk;
      }
    })();
  }

  async type(text: string) {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** Waits until the output (from `from` on) contains `text`. */
  async expect(text: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (Date.now() > deadline) {
        throw new Error(`no ${JSON.stringify(text)} in:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ends stdin (the driver sends Ctrl-D) and waits for the exit code. */
  async finish(): Promise<number> {
    await this.#writer.close().catch(() => {});
    const status = await this.#child.status;
    await this.#reading;
    return status.code;
  }
}

/** A peer that answers each line with `got <line as JSON>` and an escape byte. */
function linePeer() {
  return oneShotPeer(async (conn) => {
    const received: Uint8Array[] = [];
    const buffer = new Uint8Array(1024);
    await conn.write(new TextEncoder().encode("welcome\x1b]0;title\x07\n"));
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      const chunk = buffer.slice(0, n);
      received.push(chunk);
      const text = new TextDecoder().decode(chunk);
      await conn.write(new TextEncoder().encode(`got ${JSON.stringify(text)}\n`));
    }
    await conn.write(new TextEncoder().encode("last words\n"));
    return new TextDecoder().decode(
      await new Blob(received as Uint8Array<ArrayBuffer>[]).bytes(),
    );
  });
}

Deno.test("interactive: prompt, lines sent on Enter, escaped replies, exit", async () => {
  const peer = linePeer();
  const session = new PtySession(["connect", "--verbose", `127.0.0.1:${peer.port}`]);
  await session.expect("welcome\\e]0;title\\a"); // a greeting arriving before any send
  await session.expect("> ");
  await session.type("hello\n");
  await session.expect('got "hello\\n"');
  await session.expect('tcpkit: sent 6 bytes: "hello\\n"');
  await session.type("exit\n");
  await session.expect("tcpkit: connection closed");
  assertEquals(await session.finish(), 0);
  assertEquals(await peer.done, "hello\n");
  assert(!session.output.includes("\x1b]0;"), "raw escape sequence reached the terminal");
  assert(session.output.includes("last words"), "replies after exit were dropped");
});

Deno.test("interactive: --crlf and Ctrl-D", async () => {
  const peer = linePeer();
  const session = new PtySession(["connect", "--crlf", `127.0.0.1:${peer.port}`]);
  await session.expect("> ");
  await session.type("PING\n");
  await session.expect('got "PING\\r\\n"');
  assertEquals(await session.finish(), 0); // stdin EOF → Ctrl-D
  assertMatch(session.output, /tcpkit: connection closed\r?\n/);
  assertEquals(await peer.done, "PING\r\n");
});

Deno.test("interactive: the peer closing ends the session with a message", async () => {
  const peer = oneShotPeer(async (conn) => {
    await readLine(conn);
    await conn.write(new TextEncoder().encode("bye\n"));
  });
  const session = new PtySession(["connect", `127.0.0.1:${peer.port}`]);
  await session.expect("> ");
  await session.type("quit\n");
  await session.expect("tcpkit: connection closed by peer");
  await peer.done;
  assertEquals(await session.finish(), 0);
  assert(session.output.includes("bye"));
});

Deno.test("interactive with stdout to a file: replies are saved as raw bytes", async () => {
  // Every byte value, twice (the escaper would rewrite most of them), then a line.
  const all = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
  const reply = new Uint8Array([...all, ...new TextEncoder().encode("done\n")]);
  const peer = oneShotPeer(async (conn) => {
    await readLine(conn);
    await conn.write(reply);
  });
  const path = await Deno.makeTempFile();
  try {
    const session = new PtySession(["connect", `127.0.0.1:${peer.port}`], { stdoutPath: path });
    await session.expect("> ");
    await session.type("send it\n");
    await session.expect("tcpkit: connection closed by peer");
    await peer.done;
    assertEquals(await session.finish(), 0);
    assertEquals(await Deno.readFile(path), reply);
    assert(!session.output.includes("done"), "the reply went to the terminal");
  } finally {
    await Deno.remove(path);
  }
});

async function readLine(conn: Deno.Conn) {
  const buffer = new Uint8Array(256);
  let text = "";
  while (!text.includes("\n")) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text;
}
