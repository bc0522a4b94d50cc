/**
 * `connect --check` (-z): does each target accept a connection? Connects, closes at
 * once, and reports per target; with `--wait`, retries each until it opens or the
 * time runs out. Targets are checked concurrently (bounded) and reported in order.
 */

import { type Address, formatAddress } from "../common/address.ts";
import type { CheckResult } from "./report.ts";
import { DialError, dialWithWait } from "../common/dial.ts";
import { mapBounded } from "../common/pool.ts";

/** Most connection attempts in flight at once, so a port range stays polite. */
const CHECK_CONCURRENCY = 32;

/** Checks every target; resolves in the targets' order. */
export function checkTargets(
  targets: Address[],
  timeoutMs: number,
  waitMs: number | undefined,
): Promise<CheckResult[]> {
  return mapBounded(targets, CHECK_CONCURRENCY, (target) => checkOne(target, timeoutMs, waitMs));
}

async function checkOne(
  target: Address,
  timeoutMs: number,
  waitMs: number | undefined,
): Promise<CheckResult> {
  const address = formatAddress(target);
  try {
    const conn = await dialWithWait(target, timeoutMs, waitMs);
    conn.close();
    return { address, open: true };
  } catch (error) {
    if (!(error instanceof DialError)) throw error;
    return { address, open: false, reason: error.reason };
  }
}
