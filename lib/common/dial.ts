/**
 * Opening client connections, for `connect`, its port checks and every `bench`
 * connection: one attempt with a connect timeout (TCP and unix alike), or retries with
 * backoff until a deadline (`--wait`). Failures become one-line RuntimeErrors naming
 * the address, e.g. `cannot connect to "127.0.0.1:9": connection refused`.
 */

import { type Address, formatAddress } from "./address.ts";
import { backoffDelayMs } from "./backoff.ts";
import { describeNetError, RuntimeError } from "./errors.ts";
import { closeQuietly } from "./io.ts";
import { abortable, sleep } from "./time.ts";
import { formatDuration } from "./format.ts";
import type { TlsClientMaterial } from "../tls/client.ts";

/** Why one attempt failed, as a short phrase (`connection refused`, `timed out`). */
export class DialError extends RuntimeError {
  override name = "DialError";
  constructor(readonly address: Address, readonly reason: string) {
    super(`cannot connect to "${formatAddress(address)}": ${reason}`);
  }
}

/**
 * Connects once, giving up after `timeoutMs`. TCP conns get TCP_NODELAY (Nagle would
 * hold small writes ~40 ms). A unix connect takes no AbortSignal, so its timeout races
 * it, and a conn that arrives too late is closed. With `tls`, the conn is a TLS one
 * whose server is trusted (lib/tls/client.ts, loaded only then); an untrusted server
 * is a RuntimeError, not a DialError, so `--wait` does not retry it.
 */
export async function dial(
  address: Address,
  timeoutMs: number,
  tls?: TlsClientMaterial,
): Promise<Deno.Conn> {
  if (tls !== undefined) {
    const { dialTls } = await import("../tls/client.ts");
    return await dialTls(address, timeoutMs, tls);
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    if (address.transport === "unix") {
      const pending = Deno.connect({ transport: "unix", path: address.path });
      return await abortable(pending, signal, closeQuietly);
    }
    const conn = await Deno.connect({
      transport: "tcp",
      hostname: address.hostname,
      port: address.port,
      signal,
    });
    conn.setNoDelay(true);
    return conn;
  } catch (error) {
    throw new DialError(address, describeNetError(error));
  }
}

/**
 * Connects, retrying with backoff until `waitMs` has passed (each attempt limited
 * by `timeoutMs` and by the time left). Without `waitMs`, one attempt.
 */
export async function dialWithWait(
  address: Address,
  timeoutMs: number,
  waitMs: number | undefined,
  tls?: TlsClientMaterial,
): Promise<Deno.Conn> {
  if (waitMs === undefined) return await dial(address, timeoutMs, tls);
  const deadline = performance.now() + waitMs;
  let lastError: DialError | undefined;
  for (let attempt = 1;; attempt++) {
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) break;
    try {
      return await dial(address, Math.max(1, Math.min(timeoutMs, remainingMs)), tls);
    } catch (error) {
      if (!(error instanceof DialError)) throw error;
      lastError = error;
    }
    const delayMs = backoffDelayMs(attempt, deadline - performance.now());
    if (delayMs <= 0) break;
    await sleep(delayMs);
  }
  throw new DialError(
    address,
    `not accepting connections after waiting ${formatDuration(waitMs)}` +
      (lastError ? ` (last error: ${lastError.reason})` : ""),
  );
}
