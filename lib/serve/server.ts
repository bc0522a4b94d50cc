/**
 * One accepting server loop: binds a listener, accepts without limit on concurrency,
 * runs each connection's mode loop, reaps idle connections, and drains on stop. Used
 * directly for one thread, and by each Worker for `--workers N`.
 */

import { type Address, formatAddress, formatNetAddr } from "../common/address.ts";
import { type AccessRules, peerDenied } from "./cidr.ts";
import { describeNetError, isOutOfFiles, isPeerGone, RuntimeError } from "../common/errors.ts";
import { sleep, waitSettled } from "../common/time.ts";
import type { ServeCounters } from "./counters.ts";
import type { CloseReason, LogEvent } from "./log.ts";
import { type ConnState, discardLoop, echoLoop, sourceLoop, type TickClock } from "./modes.ts";
import { clearUnixPath, listenUnix, setSocketMode, UnixPathRefused } from "./unix_socket.ts";
import { closeQuietly } from "../common/io.ts";
import { forward, type ForwardConfig, RelayError } from "./forward.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import { TlsHandshakeFailed } from "../tls/errors.ts";
import { clientCertificateOf } from "../tls/info.ts";

/** What one server loop needs besides its listener. */
export interface ServerContext {
  mode: "echo" | "discard" | "source" | "forward";
  /** With mode `forward`: where each connection is relayed. */
  forward?: ForwardConfig;
  maxConns: number;
  idleTimeoutMs: number | undefined;
  drainTimeoutMs: number;
  counters: ServeCounters;
  /** Peers to refuse at accept. */
  access: AccessRules;
  log: (event: LogEvent) => void;
  /** Aborted on SIGINT/SIGTERM: stop accepting, let connections finish. */
  stop: AbortSignal;
  /** Aborted to end the drain at once (a second signal). */
  force?: AbortSignal;
}

const LOOPS = { echo: echoLoop, discard: discardLoop, source: sourceLoop };
const EMFILE_RETRY_MS = 100;

/** How {@linkcode bindListener} binds. */
export interface BindOptions {
  /** Share the port with other listeners (one per Worker). @default false */
  reusePort?: boolean;
  /** A unix socket file's permission bits, set right after bind. */
  unixMode?: number;
  /** Serve TLS: a TLS listener (lib/tls/server.ts, loaded only then) whose conns arrive
   * with their handshake done. */
  tls?: TlsServerCredentials;
}

/**
 * Binds `address`. For a unix path, only a stale socket file (nobody accepting on it) is
 * replaced (unix_socket.ts). Failures become one-line RuntimeErrors naming the address.
 */
export async function bindListener(
  address: Address,
  options: BindOptions = {},
): Promise<Deno.Listener> {
  try {
    if (options.tls !== undefined) return await bindTls(address, options.tls, options);
    return address.transport === "unix"
      ? await listenUnix(address.path, options.unixMode)
      : Deno.listen({
        hostname: address.hostname,
        port: address.port,
        reusePort: options.reusePort ?? false,
      });
  } catch (error) {
    if (error instanceof RuntimeError) throw error; // the TLS listener's own, already worded
    const why = error instanceof UnixPathRefused ? error.message : describeNetError(error);
    throw new RuntimeError(`cannot listen on "${formatAddress(address)}": ${why}`);
  }
}

/** The TLS listener (lib/tls/server.ts, loaded only then), on a path cleared as for plain. */
async function bindTls(
  address: Address,
  credentials: TlsServerCredentials,
  options: BindOptions,
): Promise<Deno.Listener> {
  if (address.transport === "unix") await clearUnixPath(address.path);
  const { TlsListener } = await import("../tls/server.ts");
  const listener = await TlsListener.listen(address, credentials, options.reusePort ?? false);
  if (address.transport === "unix" && options.unixMode !== undefined) {
    await setSocketMode(listener, address.path, options.unixMode);
  }
  return listener;
}

/** Accepts and serves until `ctx.stop`, then drains. Closes the listener. */
export async function runServer(listener: Deno.Listener, ctx: ServerContext): Promise<void> {
  const open = new Map<Deno.Conn, Tracked>();
  const clock: TickClock = { tick: 0 };
  const upstream = ctx.forward && formatAddress(ctx.forward.target);
  const sweeper = ctx.idleTimeoutMs === undefined ? undefined : startSweeper(ctx.idleTimeoutMs);
  let closed = false;
  const onStop = () => {
    if (!closed) listener.close(); // (closing a unix listener removes its file)
    closed = true;
  };
  if (ctx.stop.aborted) onStop();
  ctx.stop.addEventListener("abort", onStop, { once: true });
  try {
    await acceptLoop();
    await drain();
  } finally {
    ctx.stop.removeEventListener("abort", onStop);
    onStop();
    if (sweeper !== undefined) clearInterval(sweeper);
  }

  function startSweeper(idleMs: number) {
    const tickMs = Math.min(1000, Math.max(10, idleMs / 10));
    const idleTicks = Math.ceil(idleMs / tickMs);
    return setInterval(() => {
      clock.tick++;
      for (const [conn, tracked] of open) {
        if (clock.tick - tracked.state.lastTick > idleTicks) {
          closeWith(conn, tracked, "idle timeout");
        }
      }
    }, tickMs);
  }

  async function acceptLoop() {
    let emfileLogged = false;
    while (!ctx.stop.aborted) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (ctx.stop.aborted || error instanceof Deno.errors.BadResource) return;
        if (error instanceof TlsHandshakeFailed) {
          ctx.counters.refused();
          ctx.log({ event: "refused", peer: error.peer, reason: `TLS handshake: ${error.reason}` });
          continue;
        }
        if (isOutOfFiles(error)) {
          // Out of file descriptors: wait for connections to close rather than die.
          if (!emfileLogged) {
            ctx.log({ event: "warning", message: "out of file descriptors; pausing accept" });
            emfileLogged = true;
          }
          await sleep(EMFILE_RETRY_MS);
          continue;
        }
        ctx.log({ event: "warning", message: `accept failed: ${describeNetError(error)}` });
        continue;
      }
      emfileLogged = false;
      const denied = peerDenied(ctx.access, conn.remoteAddr);
      if (denied !== undefined) {
        ctx.counters.refused();
        ctx.log({ event: "refused", peer: peerOf(conn), reason: denied });
        conn.close();
        continue;
      }
      const id = ctx.counters.tryOpen(ctx.maxConns);
      if (id === 0) {
        ctx.log({
          event: "refused",
          peer: peerOf(conn),
          reason: `max-conns ${ctx.maxConns} reached`,
        });
        conn.close();
        continue;
      }
      const tracked: Tracked = {
        id,
        state: { bytesIn: 0, bytesOut: 0, lastTick: clock.tick },
        done: Promise.resolve(),
        cancel: ctx.forward && new AbortController(),
      };
      open.set(conn, tracked);
      tracked.done = handle(conn, tracked);
    }
  }

  async function handle(conn: Deno.Conn, tracked: Tracked) {
    const peer = peerOf(conn);
    const startMs = performance.now();
    ctx.log({ event: "open", id: tracked.id, peer, upstream, client: clientCertificateOf(conn) });
    let reason: CloseReason = "client closed";
    let message: string | undefined;
    try {
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      if (ctx.mode === "forward") {
        const tag = { id: tracked.id, peer };
        reason = await forward(
          conn,
          ctx.forward!,
          tracked.state,
          clock,
          tag,
          tracked.cancel?.signal,
        );
      } else {
        await LOOPS[ctx.mode](conn, tracked.state, clock);
      }
    } catch (error) {
      if (tracked.forced) {
        reason = tracked.forced;
      } else if (error instanceof RelayError) {
        reason = error.reason;
        message = error.detail;
      } else if (isPeerGone(error)) {
        reason = "reset by peer";
      } else {
        reason = "error";
        message = describeNetError(error);
      }
    } finally {
      open.delete(conn);
      closeQuietly(conn); // the server or a relay may have closed it already
    }
    const { bytesIn, bytesOut } = tracked.state;
    ctx.counters.close(bytesIn, bytesOut);
    ctx.log({
      event: "close",
      id: tracked.id,
      peer,
      upstream,
      bytesIn,
      bytesOut,
      durationMs: performance.now() - startMs,
      reason,
      error: message,
    });
  }

  function closeWith(conn: Deno.Conn, tracked: Tracked, reason: CloseReason) {
    if (tracked.forced) return;
    tracked.forced = reason;
    tracked.cancel?.abort();
    closeQuietly(conn); // a relay closes its client itself on a reset
  }

  async function drain() {
    if (open.size > 0) {
      const all = Promise.all([...open.values()].map((t) => t.done));
      await waitSettled(all, ctx.drainTimeoutMs, ctx.force);
    }
    for (const [conn, tracked] of open) closeWith(conn, tracked, "shutdown");
    await Promise.all([...open.values()].map((t) => t.done));
  }
}

interface Tracked {
  id: number;
  state: ConnState;
  done: Promise<void>;
  /** Set when the server closed the connection itself, and why. */
  forced?: CloseReason;
  /** With --forward: aborted when the server closes the connection (ends a dial). */
  cancel?: AbortController;
}

function peerOf(conn: Deno.Conn): string {
  return formatNetAddr(conn.remoteAddr);
}
