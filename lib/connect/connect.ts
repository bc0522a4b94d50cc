/**
 * `tcpkit connect`: a netcat-style client. Chooses the mode from the options and
 * stdin: `--check` (port probe), `--send`/`--send-file` (scripted request),
 * interactive (stdin is a terminal) or pipe (stdin → socket → stdout).
 */

import { formatAddress, formatNetAddr } from "../common/address.ts";
import { checkInteractiveFlags, type ConnectOptions } from "./options.ts";
import { renderCheckLine, renderTransferSummary } from "./report.ts";
import { dialWithWait } from "../common/dial.ts";
import { describeNetError, RuntimeError } from "../common/errors.ts";
import { runInteractive } from "./interactive.ts";
import { CrlfReader } from "./crlf.ts";
import { closeQuietly, writeAll } from "../common/io.ts";
import { bridge, BRIDGE_BUFFER_BYTES, type ByteReader, chunksOf } from "../common/pipe.ts";
import { checkTargets } from "./port_check.ts";
import { StdinRingReader } from "../common/stdin_reader.ts";
import { sleep } from "../common/time.ts";
import { writeStderrLine } from "../common/stderr.ts";
import { loadTlsClient, reportTls } from "./tls.ts";
import type { TlsClientMaterial } from "../tls/client.ts";

/** Runs `connect` with its parsed options; resolves to the exit code. */
export async function runConnect(options: ConnectOptions): Promise<number> {
  checkInteractiveFlags(options, Deno.stdin.isTerminal());
  const tls = options.tls && await loadTlsClient(options.tls);
  if (options.check) return await runCheck(options, tls);
  const payload = await loadPayload(options);
  const target = options.targets[0];
  const conn = await dialWithWait(target, options.timeoutMs, options.waitMs, tls);
  const startMs = performance.now();
  if (options.verbose) {
    writeStderrLine(
      `tcpkit: connected to ${formatAddress(target)} (local ${
        formatNetAddr(conn.localAddr, target)
      })`,
    );
  }
  if (tls) await reportTls(conn, target, options.verbose);
  try {
    if (payload === undefined && Deno.stdin.isTerminal()) {
      return await runInteractive(conn, options);
    }
    const source = payload === undefined
      ? new StdinRingReader()
      : new RepeatReader(payload, options.repeat, options.intervalMs);
    const input = options.crlf ? new CrlfReader(chunksOf(source, BRIDGE_BUFFER_BYTES)) : source;
    let result;
    try {
      result = await bridge(conn, input, Deno.stdout, {
        halfClose: options.halfClose,
        keepSending: options.keepSending,
        idleTimeoutMs: options.idleTimeoutMs,
      });
    } finally {
      if (source instanceof StdinRingReader) source.close();
    }
    if (options.verbose) {
      writeStderrLine(
        `tcpkit: ${
          renderTransferSummary(
            result.bytesSent,
            result.bytesReceived,
            performance.now() - startMs,
          )
        }`,
      );
    }
    return 0;
  } finally {
    closeQuietly(conn);
  }
}

async function runCheck(options: ConnectOptions, tls?: TlsClientMaterial): Promise<number> {
  const results = await checkTargets(options.targets, options.timeoutMs, options.waitMs, tls);
  const single = results.length === 1;
  if (single && !results[0].open) {
    throw new RuntimeError(
      `cannot connect to "${results[0].address}": ${results[0].reason ?? "closed"}`,
    );
  }
  if (!single || options.verbose) {
    const text = results.map((r) => `${renderCheckLine(r)}\n`).join("");
    await writeAll(Deno.stdout, new TextEncoder().encode(text));
  }
  return results.every((r) => r.open) ? 0 : 1;
}

/** The bytes `--send`/`--send-file` ask for, read before connecting. */
async function loadPayload(options: ConnectOptions): Promise<Uint8Array | undefined> {
  if (options.sendFile !== undefined) {
    try {
      return await Deno.readFile(options.sendFile);
    } catch (error) {
      throw new RuntimeError(`cannot read "${options.sendFile}": ${describeNetError(error)}`);
    }
  }
  if (options.send.length === 0) return undefined;
  // Under --crlf these LFs become CRLF on the way out, like every other byte sent.
  return new TextEncoder().encode(options.send.map((text) => `${text}\n`).join(""));
}

/** Yields `payload` `times` times with a pause between, then EOF. */
export class RepeatReader implements ByteReader {
  #round = 0;
  #offset = 0;

  constructor(
    private payload: Uint8Array,
    private times: number,
    private intervalMs: number,
  ) {}

  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#offset === this.payload.length) {
      if (this.#round + 1 >= this.times) return null;
      this.#round++;
      this.#offset = 0;
      if (this.intervalMs > 0) await sleep(this.intervalMs);
      if (this.payload.length === 0) return await this.read(buffer);
    }
    const n = Math.min(buffer.length, this.payload.length - this.#offset);
    buffer.set(this.payload.subarray(this.#offset, this.#offset + n));
    this.#offset += n;
    return n;
  }
}
