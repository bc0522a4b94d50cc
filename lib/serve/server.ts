/**
 * One accepting server loop: binds a listener, accepts without limit on concurrency,
 * runs each connection's mode loop, reaps idle connections, and drains on stop. Used
 * directly for one thread, and by each Worker for `--workers N`.
 */

import { type Address, formatAddress, formatNetAddr } from "../common/address.ts";
import { accessDenied, type AccessRules } from "./cidr.ts";
import { describeNetError, isOutOfFiles, isPeerGone, RuntimeError } from "../common/errors.ts";
import { sleep, waitSettled } from "../common/time.ts";
import type { ServeCounters } from "./counters.ts";
import type { CloseReason, LogEvent } from "./log.ts";
import { type ConnState, discardLoop, echoLoop, sourceLoop, type TickClock } from "./modes.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import { TlsHandshakeFailed } from "../tls/errors.ts";

/** What one server loop needs besides its listener. */
export interface ServerContext {
  mode: "echo" | "discard" | "source";
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

/**
 * Binds `address`. A stale unix socket file (nobody accepting on it) is replaced.
 * Failures become one-line RuntimeErrors naming the address. With `tls`, a TLS listener
 * (lib/tls/server.ts, loaded only then) whose conns arrive with their handshake done.
 */
export async function bindListener(
  address: Address,
  reusePort = false,
  tls?: TlsServerCredentials,
): Promise<Deno.Listener> {
  if (tls !== undefined) {
    const { TlsListener } = await import("../tls/server.ts");
    return await TlsListener.listen(address, tls, reusePort);
  }
  try {
    return address.transport === "unix"
      ? await bindUnix(address.path)
      : Deno.listen({ hostname: address.hostname, port: address.port, reusePort });
  } catch (error) {
    throw new RuntimeError(
      `cannot listen on "${formatAddress(address)}": ${describeNetError(error)}`,
    );
  }
}

async function bindUnix(path: string): Promise<Deno.Listener> {
  try {
    return Deno.listen({ transport: "unix", path });
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    try {
      (await Deno.connect({ transport: "unix", path })).close();
      throw error; // someone is serving there: really in use
    } catch (probe) {
      if (probe === error || !(probe instanceof Deno.errors.ConnectionRefused)) throw error;
    }
    await Deno.remove(path);
    return Deno.listen({ transport: "unix", path });
  }
}

/** Accepts and serves until `ctx.stop`, then drains. Closes the listener. */
export async function runServer(listener: Deno.Listener, ctx: ServerContext): Promise<void> {
  const open = new Map<Deno.Conn, Tracked>();
  const clock: TickClock = { tick: 0 };
  const sweeper = ctx.idleTimeoutMs === undefined ? undefined : startSweeper(ctx.idleTimeoutMs);
  const onStop = () => listener.close();
  ctx.stop.addEventListener("abort", onStop, { once: true });
  try {
    await acceptLoop();
    ctx.log({ event: "shutdown", open: open.size, drainTimeoutMs: ctx.drainTimeoutMs });
    await drain();
  } finally {
    ctx.stop.removeEventListener("abort", onStop);
    if (sweeper !== undefined) clearInterval(sweeper);
    if (listener.addr.transport === "unix") {
      await Deno.remove(listener.addr.path).catch(() => {});
    }
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
      const denied = conn.remoteAddr.transport === "tcp"
        ? accessDenied(ctx.access, conn.remoteAddr.hostname)
        : undefined;
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
      };
      open.set(conn, tracked);
      tracked.done = handle(conn, tracked);
    }
  }

  async function handle(conn: Deno.Conn, tracked: Tracked) {
    const peer = peerOf(conn);
    const startMs = performance.now();
    ctx.log({ event: "open", id: tracked.id, peer, client: tlsClientOf(conn) });
    let reason: CloseReason = "client closed";
    let message: string | undefined;
    try {
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      await LOOPS[ctx.mode](conn, tracked.state, clock);
    } catch (error) {
      if (tracked.forced) {
        reason = tracked.forced;
      } else if (isPeerGone(error)) {
        reason = "reset by peer";
      } else {
        reason = "error";
        message = describeNetError(error);
      }
    } finally {
      open.delete(conn);
      if (!tracked.forced) conn.close();
    }
    const { bytesIn, bytesOut } = tracked.state;
    ctx.counters.close(bytesIn, bytesOut);
    ctx.log({
      event: "close",
      id: tracked.id,
      peer,
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
    conn.close();
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
}

function peerOf(conn: Deno.Conn): string {
  return formatNetAddr(conn.remoteAddr);
}

/** A TLS client certificate's subject and fingerprint (mTLS), for the open line. */
function tlsClientOf(conn: Deno.Conn): string | undefined {
  const certificate = (conn as { tls?: { certificate?: { subject: string; fingerprint: string } } })
    .tls?.certificate;
  return certificate && `${certificate.subject} sha256:${certificate.fingerprint}`;
}
