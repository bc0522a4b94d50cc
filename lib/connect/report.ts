/**
 * What `connect` prints besides the data itself (pure, no I/O): the `--check` result
 * lines on stdout and the `--verbose` lines on stderr.
 *
 * `--check` prints one line per target, in the order given:
 *
 *     127.0.0.1:8000 open
 *     127.0.0.1:8001 closed (connection refused)
 *
 * Field 1 is the address as tcpkit parses it, field 2 is `open` or `closed`; anything
 * after is a human-readable reason. `awk '$2 == "open" { print $1 }'` lists open ports.
 */

import { formatTransfer } from "../common/format.ts";

/** The outcome of checking one target. */
export interface CheckResult {
  /** The target as formatted by formatAddress. */
  address: string;
  open: boolean;
  /** Why it is closed, e.g. `connection refused`. */
  reason?: string;
}

/** One stdout line (without newline) for a check result. */
export function renderCheckLine(result: CheckResult): string {
  if (result.open) return `${result.address} open`;
  return result.reason ? `${result.address} closed (${result.reason})` : `${result.address} closed`;
}

/**
 * The `--verbose` summary line after a session:
 * `sent 6 bytes, received 1048576 bytes (1 MiB) in 520 ms`.
 */
export function renderTransferSummary(
  bytesSent: number,
  bytesReceived: number,
  durationMs: number,
): string {
  return formatTransfer(bytesSent, bytesReceived, durationMs);
}
