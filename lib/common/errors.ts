/**
 * Error types that carry tcpkit's exit-code contract (library code throws these; only
 * main.ts turns them into an exit status: 2 for usage, 1 for everything else), and the
 * one classification of the network errors Deno throws: by class and errno code, never
 * by message text, except for name lookups, which Deno reports as plain Errors carrying
 * only getaddrinfo's text.
 */

/** Bad command line: a flag, value or argument the user must fix. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure while running: network, I/O, or a check that did not pass. Exit code 1. */
export class RuntimeError extends Error {
  override name = "RuntimeError";
}

/** Exit code for an error thrown anywhere below main.ts. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof UsageError ? 2 : 1;
}

/**
 * One line describing a network error from Deno, without a stack trace, e.g.
 * `connection refused` for `Deno.errors.ConnectionRefused`.
 */
export function describeNetError(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset by peer";
  if (error instanceof Deno.errors.TimedOut) return "timed out";
  if (error instanceof Deno.errors.AddrInUse) return "address already in use";
  if (error instanceof Deno.errors.AddrNotAvailable) return "address not available";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "not found";
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  if (error instanceof DOMException && error.name === "AbortError") return "aborted";
  if (isUnknownHost(error)) return "unknown host";
  // A name the resolver refuses to look up (address.ts rejects these before they get here).
  if (error instanceof URIError) return "invalid host name";
  const message = error instanceof Error ? error.message : String(error);
  // Deno appends " (os error N)"; the errno adds nothing for a shell user.
  return message.split("\n")[0].replace(/ \(os error \d+\)$/, "").toLowerCase();
}

/**
 * Whether `error` is a failed name lookup (no such name, or no DNS to ask), as Deno
 * throws it from `Deno.connect` and `Deno.listen`: a plain Error with getaddrinfo's text.
 */
export function isUnknownHost(error: unknown): boolean {
  if (!(error instanceof Error) || error.constructor !== Error) return false;
  return /failed to lookup address|name or service not known|nodename nor servname|no address associated|temporary failure in name resolution/i
    .test(error.message);
}

/** The errno name Deno attaches to an OS error (`"ECONNRESET"`, `"EMFILE"`), if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Errno codes that mean the other end of a connection is gone. */
const PEER_GONE_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ENOTCONN"]);

/**
 * Whether `error` means the peer went away (reset, closed under a write, aborted):
 * the normal end of a connection for a server, not a failure of tcpkit. Our own
 * closed resource (`BadResource`), timeouts and `Interrupted` are not.
 */
export function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.UnexpectedEof ||
    PEER_GONE_CODES.has(errorCode(error) ?? "");
}

/** Whether `error` is the process (EMFILE) or system (ENFILE) running out of file descriptors. */
export function isOutOfFiles(error: unknown): boolean {
  const code = errorCode(error);
  return code === "EMFILE" || code === "ENFILE";
}
