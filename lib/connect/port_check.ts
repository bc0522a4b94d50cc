/**
 * `connect --check` (-z): does each target accept a connection? Connects, closes at
 * once, and reports per target; with `--wait`, retries each until it opens or the
 * time runs out. Targets are checked concurrently (bounded) and reported in order.
 */

import { type Address, formatAddress } from "../common/address.ts";
import type { CheckResult } from "./report.ts";
import { DialError, dialWithWait } from "../common/dial.ts";

/** Most connection attempts in flight at once, so a port range stays polite. */
export const CHECK_CONCURRENCY = 32;

/** Checks every target; resolves in the targets' order. */
export async function checkTargets(
  targets: Address[],
  timeoutMs: number,
  waitMs: number | undefined,
): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      results[index] = await checkOne(targets[index], timeoutMs, waitMs);
    }
  };
  const workers = Math.min(CHECK_CONCURRENCY, targets.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
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
