/**
 * `serve --forward TARGET`: joins each accepted connection to a new connection to TARGET
 * and copies bytes both ways at once, binary-exact, until both directions are done.
 *
 * - The upstream is dialed before anything is read from the client, so no byte is
 *   lost or reordered; a refused or timed-out dial ends the pair (`upstream unreachable`).
 *   With `--forward-tls` the dial includes the handshake, and an upstream whose certificate
 *   is not trusted ends the pair before any byte is sent (`upstream untrusted`).
 * - Each direction reads into one adaptive buffer and writes all of it before reading
 *   again, so a slow reader on either side stalls that direction (backpressure): a pair
 *   never holds more than one buffer per direction, whatever the peers do.
 * - EOF from one side is passed on as a half-close (`closeWrite`) to the other; the pair
 *   ends when both directions have ended.
 * - A reset or error on either side closes both sockets at once. Deno closes a socket
 *   with a FIN (it shuts down the write side first) and exposes no SO_LINGER, so the other
 *   peer sees its connection closed, and a reset only if it writes afterwards.
 */

import { type Address, formatAddress } from "../common/address.ts";
import { dial, DialError } from "../common/dial.ts";
import { describeNetError, isPeerGone, RuntimeError } from "../common/errors.ts";
import { closeQuietly, writeAll, writeAllSync } from "../common/io.ts";
import { abortable } from "../common/time.ts";
import type { TlsClientMaterial } from "../tls/client.ts";
import { TlsTrustError } from "../tls/errors.ts";
import { type DumpDirection, type DumpRecord, renderDump } from "./dump.ts";
import type { CloseReason } from "./log.ts";
import type { ForwardOptions } from "./options.ts";
import { type ConnState, MIN_BUFFER, nextBufferSize, type TickClock } from "./modes.ts";

/** Where and how a server relays its connections. */
export interface ForwardConfig {
  /** Where each accepted connection is joined to. */
  target: Address;
  /** How long a dial to the target may take. */
  connectTimeoutMs: number;
  /** Receives the `--dump` text of every pair; undefined when not dumping. */
  dump?: (text: string) => void;
  /** With `--forward-tls`: how to speak TLS to the target (files read once, at start-up). */
  tls?: TlsClientMaterial;
}

/**
 * The server's relay settings from `serve --forward`'s options; `dump` receives the dump
 * text where one is asked for (the main thread writes it, Workers post it there).
 */
export function forwardConfig(
  options: ForwardOptions,
  dump: ((text: string) => void) | undefined,
  tls?: TlsClientMaterial,
): ForwardConfig {
  return {
    target: options.target,
    connectTimeoutMs: options.connectTimeoutMs,
    dump: options.dump && dump,
    tls,
  };
}

/**
 * Where `--dump` (stderr) or `--dump-file PATH` text goes. The file is truncated now, so
 * an unwritable path fails before the server starts, then appended to record by record
 * (no handle stays open). A write that fails later is reported once through `warn`; the
 * relay goes on.
 */
export function dumpWriter(
  to: NonNullable<ForwardOptions["dump"]>,
  warn: (message: string) => void,
): (text: string) => void {
  const encoder = new TextEncoder();
  if (to.to === "stderr") {
    return (text) => {
      try {
        writeAllSync(Deno.stderr, encoder.encode(text));
      } catch {
        // Nobody reads stderr any more; the relay itself goes on.
      }
    };
  }
  try {
    Deno.writeFileSync(to.path, new Uint8Array());
  } catch (error) {
    throw new RuntimeError(`cannot write --dump-file "${to.path}": ${describeNetError(error)}`);
  }
  let failed = false;
  return (text) => {
    try {
      Deno.writeFileSync(to.path, encoder.encode(text), { append: true });
    } catch (error) {
      if (!failed) warn(`cannot write --dump-file "${to.path}": ${describeNetError(error)}`);
      failed = true;
    }
  };
}

/** What the relay needs of a socket (a `Deno.Conn`, or a test's stand-in). */
export type RelayConn = Pick<Deno.Conn, "read" | "write" | "closeWrite" | "close">;

/** A pair that ended abnormally, and why, as the server logs it. */
export class RelayError extends Error {
  override name = "RelayError";
  constructor(readonly reason: CloseReason, readonly detail?: string) {
    super(detail === undefined ? reason : `${reason}: ${detail}`);
  }
}

/** One pair, as the dump names it. */
export interface PairTag {
  id: number;
  /** The client's address, as logged. */
  peer: string;
}

/**
 * Dials `config.target` and relays `client` through it until the pair is done. Resolves
 * with how it ended normally (`client closed` or `upstream closed`: whose EOF came
 * first); throws a RelayError when the dial failed or a side reset. Closes the upstream;
 * may close `client` early (on a reset), so its owner must close it quietly. `cancel`
 * gives up a dial in progress (the server closing the client).
 */
export async function forward(
  client: Deno.Conn,
  config: ForwardConfig,
  state: ConnState,
  clock: TickClock,
  tag: PairTag,
  cancel?: AbortSignal,
): Promise<CloseReason> {
  let upstream: Deno.Conn;
  try {
    const pending = dial(config.target, config.connectTimeoutMs, config.tls);
    upstream = await (cancel ? abortable(pending, cancel, closeQuietly) : pending);
  } catch (error) {
    if (error instanceof DialError) throw new RelayError("upstream unreachable", error.reason);
    // --forward-tls: the certificate (with its fingerprint), or the handshake, failed.
    if (error instanceof TlsTrustError) throw new RelayError("upstream untrusted", error.message);
    if (config.tls && error instanceof RuntimeError) {
      throw new RelayError("upstream unreachable", error.message);
    }
    throw error;
  }
  const sink = config.dump;
  const dump = sink && ((record: DumpRecord) => sink(renderDump(record, new Date())));
  dump?.({
    kind: "connected",
    id: tag.id,
    client: tag.peer,
    upstream: formatAddress(config.target),
  });
  try {
    return await relay(client, upstream, state, clock, dump, tag.id);
  } finally {
    closeQuietly(upstream);
  }
}

/** Which end of a pair an error came from ("relay": neither, a bug of ours). */
type Side = "client" | "upstream" | "relay";

/** An error from one side's read, write or half-close. */
class SideError {
  constructor(readonly side: Side, readonly error: unknown) {}
}

/**
 * Copies `client` → `upstream` and `upstream` → `client` at once (the pair's core, with
 * its sockets given). Resolves when both directions have ended with EOF; on the first
 * error closes both sockets, waits for the other direction to stop, and throws a
 * RelayError (or rethrows what the server must see: our own closed socket).
 */
export async function relay(
  client: RelayConn,
  upstream: RelayConn,
  state: ConnState,
  clock: TickClock,
  dump?: (record: DumpRecord) => void,
  id = 0,
): Promise<CloseReason> {
  let firstEnd: Side | undefined;
  let failure: SideError | undefined;
  const fail = (error: unknown) => {
    if (failure === undefined) {
      failure = error instanceof SideError ? error : new SideError("relay", error);
      // Both at once: the other direction's pending read ends, and its peer sees the close.
      closeQuietly(client);
      closeQuietly(upstream);
    }
  };
  const pumps = [
    pump(client, upstream, "client", "upstream", ">").then(() => firstEnd ??= "client", fail),
    pump(upstream, client, "upstream", "client", "<").then(() => firstEnd ??= "upstream", fail),
  ];
  await Promise.all(pumps);
  if (failure !== undefined) throw relayError(failure);
  return firstEnd === "upstream" ? "upstream closed" : "client closed";

  async function pump(
    from: RelayConn,
    to: RelayConn,
    fromSide: Side,
    toSide: Side,
    dir: DumpDirection,
  ) {
    const inbound = fromSide === "client";
    let buf = new Uint8Array(MIN_BUFFER);
    let offset = 0;
    while (true) {
      let n: number | null;
      try {
        n = await from.read(buf);
      } catch (error) {
        throw new SideError(fromSide, error);
      }
      if (n === null) break;
      if (inbound) state.bytesIn += n;
      state.lastTick = clock.tick;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      dump?.({ kind: "data", id, direction: dir, offset, bytes: chunk });
      offset += n;
      try {
        // Most writes take the whole chunk: one await, no helper call per message.
        const written = await to.write(chunk);
        if (written < n) await writeAll(to, chunk.subarray(written));
      } catch (error) {
        throw new SideError(toSide, error);
      }
      if (!inbound) state.bytesOut += n;
      state.lastTick = clock.tick;
      const size = nextBufferSize(buf.length, n);
      if (size !== buf.length) buf = new Uint8Array(size);
    }
    dump?.({ kind: "end", id, direction: dir, total: offset });
    try {
      await to.closeWrite();
    } catch (error) {
      throw new SideError(toSide, error);
    }
  }
}

/** The pair's end, as logged, from the first error either side met. */
function relayError({ side, error }: SideError): unknown {
  // Our own socket, closed under a pending read by the server (idle timeout, shutdown):
  // the server knows why it closed it. Anything else of ours goes up as it is.
  if (
    side === "relay" || error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted
  ) {
    return error;
  }
  if (isPeerGone(error)) {
    return new RelayError(side === "client" ? "reset by peer" : "reset by upstream");
  }
  return new RelayError("error", `${side}: ${describeNetError(error)}`);
}
