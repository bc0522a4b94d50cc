/**
 * `connect` when stdin is a terminal: the C tutorial client's read-a-line, send-it
 * loop, done carefully. A prompt on stderr; each line is sent on Enter (with `\n`, or
 * `\r\n` under `--crlf`); replies are printed the moment they arrive, escaped so
 * control bytes cannot drive the terminal (when stdout is a file or pipe, as in
 * `tcpkit connect :P > reply.bin`, they are written as they are: there is no terminal to
 * protect, and the bytes must stay intact); `exit` or Ctrl-D half-closes and ends the
 * session; the peer closing ends it with a message.
 */

import { ERASE_LINE_AFTER_CURSOR } from "@std/cli/unstable-ansi";
import type { ConnectOptions } from "./options.ts";
import { describeNetError, RuntimeError } from "../common/errors.ts";
import { type ByteWriter, writeAll, writeAllSync } from "../common/io.ts";
import { ActivityWatch, type ByteReader } from "../common/pipe.ts";
import { waitSettled } from "../common/time.ts";
import { escapeOneLine, TerminalEscaper } from "./terminal_escape.ts";

/** The terminal side of a session; defaults to the process's stdin/stdout/stderr. */
export interface InteractiveIo {
  input: ByteReader;
  output: ByteWriter;
  /**
   * Whether `output` is a terminal: replies are then escaped and kept clear of the
   * prompt; otherwise their bytes are written unchanged.
   */
  outputIsTerminal: boolean;
  /** Diagnostics and the prompt. */
  messages: (text: string) => void;
  /** Whether the prompt line may be redrawn with terminal control sequences. */
  redraw: boolean;
}

const PROMPT = "> ";
/** After `exit`, how long the peer's last replies may still arrive. */
const CLOSE_GRACE_MS = 1000;

const encoder = new TextEncoder();

/** Runs the interactive session on an open conn; resolves to the exit code. */
export async function runInteractive(
  conn: Deno.Conn,
  options: Pick<ConnectOptions, "crlf" | "verbose" | "idleTimeoutMs" | "targets">,
  io: InteractiveIo = defaultIo(),
): Promise<number> {
  const ending = options.crlf ? "\r\n" : "\n";
  const activity = new ActivityWatch(options.idleTimeoutMs);
  let promptShown = false;
  const showPrompt = () => {
    io.messages(PROMPT);
    promptShown = true;
  };
  const clearPrompt = () => {
    if (promptShown && io.redraw) io.messages(`\r${ERASE_LINE_AFTER_CURSOR}`);
    promptShown = false;
  };

  io.messages(
    `tcpkit: connected; type a line and Enter to send it, "exit" or Ctrl-D to quit\n`,
  );
  showPrompt();

  const escaper = new TerminalEscaper();
  const receiving = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (error) {
        throw new RuntimeError(`cannot receive: ${describeNetError(error)}`);
      }
      if (n === null) break;
      activity.touch();
      if (!io.outputIsTerminal) {
        await writeAll(io.output, buffer.subarray(0, n));
        continue;
      }
      const text = escaper.push(buffer.subarray(0, n));
      if (text === "") continue;
      clearPrompt();
      await writeAll(io.output, encoder.encode(text));
      if (text.endsWith("\n")) showPrompt();
    }
    const rest = escaper.flush();
    if (rest !== "") await writeAll(io.output, encoder.encode(`${rest}\n`));
  })();

  let closing = false;
  const sending = (async () => {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(16 * 1024);
    let partial = "";
    while (true) {
      const n = await io.input.read(buffer);
      if (n === null) return;
      activity.touch();
      partial += decoder.decode(buffer.subarray(0, n), { stream: true });
      let newline: number;
      while ((newline = partial.indexOf("\n")) >= 0) {
        const line = partial.slice(0, newline).replace(/\r$/, "");
        partial = partial.slice(newline + 1);
        promptShown = false; // the user's Enter moved the cursor past it
        if (line.trim() === "exit") return;
        const bytes = encoder.encode(line + ending);
        try {
          await writeAll(conn, bytes);
        } catch (error) {
          throw new RuntimeError(`cannot send: ${describeNetError(error)}`);
        }
        if (options.verbose) {
          io.messages(`tcpkit: sent ${bytes.length} bytes: "${escapeOneLine(bytes)}"\n`);
        }
        showPrompt();
      }
    }
  })();
  sending.catch(() => {});
  receiving.catch(() => {});

  try {
    const first = await Promise.race([
      receiving.then(() => "peer" as const),
      sending.then(() => "user" as const),
      activity.expired,
    ]);
    if (first === "peer") {
      clearPrompt();
      io.messages("tcpkit: connection closed by peer\n");
      return 0;
    }
    closing = true;
    clearPrompt();
    try {
      await conn.closeWrite();
    } catch {
      // the peer is already gone
    }
    // Let replies already on their way arrive, without waiting on a peer that never closes.
    await waitSettled(receiving, CLOSE_GRACE_MS);
    clearPrompt();
    io.messages("tcpkit: connection closed\n");
    return 0;
  } catch (error) {
    if (!closing) clearPrompt();
    throw error;
  } finally {
    activity.stop();
  }
}

function defaultIo(): InteractiveIo {
  return {
    input: Deno.stdin,
    output: Deno.stdout,
    outputIsTerminal: Deno.stdout.isTerminal(),
    messages: (text) => {
      try {
        writeAllSync(Deno.stderr, encoder.encode(text));
      } catch {
        // a closed stderr does not end the session
      }
    },
    redraw: Deno.stderr.isTerminal() && !Deno.env.get("TERM")?.startsWith("dumb"),
  };
}
