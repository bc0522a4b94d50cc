/**
 * The server's log events and their rendering as text or JSON lines. Pure: the
 * caller decides where lines go (stderr) and supplies the timestamp. Text lines show
 * sizes and durations the way format.ts does (`in 1.5 MiB, out 6 B, 2.6 ms`); JSON
 * lines keep the numbers under unit-named keys (`bytes_in`, `duration_ms`), durations
 * rounded to the microsecond. The README's serve section documents every event.
 */

import { formatBytes, formatDuration } from "../common/format.ts";

/** Why a connection ended, as logged. */
export type CloseReason =
  | "client closed"
  | "reset by peer"
  | "idle timeout"
  | "shutdown"
  | "error"
  // serve --forward: the pair's ends
  | "upstream closed"
  | "reset by upstream"
  | "upstream unreachable"
  // serve --forward-tls: the target's certificate is not trusted (or not the pinned one)
  | "upstream untrusted";

/** Totals printed when the server stops. */
export interface ServeSummary {
  served: number;
  refused: number;
  peakConcurrent: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  /** serve --forward: the target every connection was relayed to. */
  upstream?: string;
}

/** What the listening line says about TLS: the certificate and how to connect. */
export interface ListeningTls {
  /** `sha256:` and the certificate's fingerprint. */
  fingerprint: string;
  /** A `tcpkit connect` command line that trusts exactly this certificate. */
  connect: string;
}

export type LogEvent =
  | {
    event: "listening";
    address: string;
    mode: string;
    maxConns: number;
    workers: number;
    /** serve --forward: the target. */
    upstream?: string;
    tls?: ListeningTls;
  }
  /** `client`: a TLS client certificate's subject and fingerprint (mTLS). */
  | { event: "open"; id: number; peer: string; upstream?: string; client?: string }
  | {
    event: "close";
    id: number;
    peer: string;
    /** serve --forward: the target the client was relayed to. */
    upstream?: string;
    bytesIn: number;
    bytesOut: number;
    durationMs: number;
    reason: CloseReason;
    error?: string;
  }
  | { event: "refused"; peer: string; reason: string }
  | { event: "warning"; message: string }
  | { event: "shutdown"; open: number; drainTimeoutMs: number }
  | ({ event: "summary" } & ServeSummary)
  /** The error that ends the command (main.ts writes it); `stack` only with TCPKIT_DEBUG. */
  | { event: "error"; message: string; exitCode: number; stack?: string };

/** Renders one event as a line (without the newline) in the chosen format. */
export function renderLogEvent(event: LogEvent, format: "text" | "json", now: Date): string {
  return format === "json" ? renderJson(event, now) : renderText(event);
}

function renderText(e: LogEvent): string {
  switch (e.event) {
    case "listening": {
      const tls = e.tls ? `, tls ${e.tls.fingerprint})\nconnect with: ${e.tls.connect}` : ")";
      if (e.mode === "stdio") return `listening on ${e.address} (stdio, one connection${tls}`;
      return `listening on ${e.address} (mode ${e.mode}${to(e.upstream)}, max-conns ${e.maxConns}` +
        `${e.workers > 1 ? `, ${e.workers} workers` : ""}${tls}`;
    }
    case "open":
      return `[#${e.id}] ${e.peer} connected${e.client ? ` (client ${e.client})` : ""}` +
        (e.upstream === undefined ? "" : `, forwarding to ${e.upstream}`);
    case "close":
      return `[#${e.id}] ${ends(e)} closed: ${e.reason}${e.error ? ` (${e.error})` : ""}; ` +
        `in ${formatBytes(e.bytesIn)}, out ${formatBytes(e.bytesOut)}, ${
          formatDuration(e.durationMs)
        }`;
    case "refused":
      return `refused ${e.peer}: ${e.reason}`;
    case "warning":
      return `warning: ${e.message}`;
    case "shutdown":
      return `shutting down: ${e.open} open connection${e.open === 1 ? "" : "s"}, ` +
        `waiting up to ${formatDuration(e.drainTimeoutMs)}`;
    case "error":
      return `tcpkit: ${e.message}${e.stack ? `\n${e.stack}` : ""}`;
    case "summary":
      return `summary: ${e.served} served, ${e.refused} refused, peak ${e.peakConcurrent} ` +
        `concurrent, in ${formatBytes(e.bytesIn)}, out ${formatBytes(e.bytesOut)}, ` +
        `up ${formatDuration(e.durationMs)}` +
        (e.upstream === undefined ? "" : `, forwarded to ${e.upstream}`);
  }
}

/** ` to 127.0.0.1:9000` for a relay's events, else nothing. */
function to(upstream: string | undefined): string {
  return upstream === undefined ? "" : ` to ${upstream}`;
}

/** The connection's ends: the client, and for a relay ` -> ` its upstream. */
function ends(e: { peer: string; upstream?: string }): string {
  return e.upstream === undefined ? e.peer : `${e.peer} -> ${e.upstream}`;
}

function renderJson(e: LogEvent, now: Date): string {
  const fields: Record<string, unknown> = { ts: now.toISOString(), event: e.event };
  for (const [key, value] of Object.entries(e)) {
    if (key === "event" || value === undefined) continue;
    // Durations (…Ms) to the microsecond: 25.938, not 25.93825199999992.
    const rounded = key.endsWith("Ms") && typeof value === "number"
      ? Math.round(value * 1000) / 1000
      : value;
    fields[snakeCase(key)] = rounded;
  }
  return JSON.stringify(fields);
}

/** `bytesIn` → `bytes_in`, `durationMs` → `duration_ms`. */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
