/**
 * `connect --check` (-z): does each target accept a connection? Connects, closes at
 * once, and reports per target; with `--wait`, retries each until it opens or the
 * time runs out. Targets are checked concurrently (bounded) and reported in order.
 */

import { type Address, formatAddress } from "../common/address.ts";
import type { CheckResult } from "./report.ts";
import { DialError, dialWithWait } from "../common/dial.ts";
import { RuntimeError } from "../common/errors.ts";
import { TlsTrustError } from "../tls/errors.ts";
import { mapBounded } from "../common/pool.ts";
import type { TlsClientMaterial } from "../tls/client.ts";

/** Most connection attempts in flight at once, so a port range stays polite. */
const CHECK_CONCURRENCY = 32;

/**
 * Checks every target; resolves in the targets' order. With `tls`, open means a TLS
 * handshake with a trusted server.
 */
export function checkTargets(
  targets: Address[],
  timeoutMs: number,
  waitMs: number | undefined,
  tls?: TlsClientMaterial,
): Promise<CheckResult[]> {
  return mapBounded(
    targets,
    CHECK_CONCURRENCY,
    (target) => checkOne(target, timeoutMs, waitMs, tls),
  );
}

async function checkOne(
  target: Address,
  timeoutMs: number,
  waitMs: number | undefined,
  tls: TlsClientMaterial | undefined,
): Promise<CheckResult> {
  const address = formatAddress(target);
  try {
    const conn = await dialWithWait(target, timeoutMs, waitMs, tls);
    conn.close();
    return { address, open: true };
  } catch (error) {
    // Over TLS, open means a handshake with a trusted server.
    if (error instanceof TlsTrustError) {
      return { address, open: false, reason: `certificate ${error.reason}` };
    }
    if (tls !== undefined && error instanceof RuntimeError && !(error instanceof DialError)) {
      return { address, open: false, reason: error.message };
    }
    if (!(error instanceof DialError)) throw error;
    return { address, open: false, reason: error.reason };
  }
}
