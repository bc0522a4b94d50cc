/**
 * `tcpkit serve`'s options: their type and how they are built from the parsed command
 * line, with the cross-flag rules that make a combination a usage error. Pure.
 */

import { type Address, addressArgument, formatAddress, parseAddress } from "../common/address.ts";
import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { type AccessRules, type Cidr, parseCidr } from "./cidr.ts";
import {
  type TlsClientOptions,
  tlsClientOptions,
  type TlsServeOptions,
  tlsServeOptions,
} from "../tls/options.ts";

/** The serve command's typed options. */
export interface ServeOptions {
  /** Where to listen. @default 127.0.0.1:9999 */
  address: Address;
  /** What each connection gets; `forward` with --forward. @default "echo" */
  mode: "echo" | "discard" | "source" | "forward";
  /** Most concurrent connections; undefined derives it from the open-file limit. */
  maxConns: number | undefined;
  /** Close a connection after this long without traffic; undefined never does. */
  idleTimeoutMs: number | undefined;
  /** How long open connections may finish after SIGINT/SIGTERM. @default 5000 */
  drainTimeoutMs: number;
  /** Drop per-connection log lines. @default false */
  quiet: boolean;
  /** @default "text" */
  log: "text" | "json";
  /** Accepting Workers sharing the port. @default 1 */
  workers: number;
  /** Bridge one connection to stdin/stdout instead of serving many. @default false */
  stdio: boolean;
  /** With stdio: when the peer half-closes first, send all of stdin anyway. @default false */
  keepSending: boolean;
  /** Peers allowed and denied at accept (TCP only). @default everyone */
  access: AccessRules;
  /** A unix socket file's permission bits, set after bind; undefined keeps the umask's. */
  unixMode: number | undefined;
  /** With --forward: where and how connections are relayed. */
  forward?: ForwardOptions;
  /** Serve over TLS (`--tls` and its companions); undefined serves plain TCP. */
  tls?: TlsServeOptions;
}

/** `serve --forward`'s options. */
export interface ForwardOptions {
  /** Where each connection is relayed. */
  target: Address;
  /** How long a dial to the target may take. @default 5000 */
  connectTimeoutMs: number;
  /** `--dump` to stderr, `--dump-file` to a file; undefined without either. */
  dump?: { to: "stderr" } | { to: "file"; path: string };
  /** `--forward-tls` and its trust flags: TLS to the target; undefined relays plain TCP. */
  tls?: TlsClientOptions;
}

/** Builds `serve`'s options from its flags and arguments. */
export function serveOptions(flags: FlagValues, args: string[]): ServeOptions {
  const options: ServeOptions = {
    address: addressArgument(args[0] ?? "127.0.0.1:9999", true),
    mode: flags.choice("mode") as ServeOptions["mode"],
    maxConns: flags.count("max-conns"),
    idleTimeoutMs: flags.duration("idle-timeout"),
    drainTimeoutMs: flags.duration("drain-timeout")!,
    quiet: flags.bool("quiet"),
    log: flags.choice("log") as ServeOptions["log"],
    workers: flags.count("workers")!,
    stdio: flags.bool("stdio"),
    keepSending: flags.bool("keep-sending"),
    access: { allow: cidrs(flags, "allow"), deny: cidrs(flags, "deny") },
    unixMode: unixMode(flags.string("unix-mode")),
  };
  forwardRules(flags, options);
  const tls = tlsServeOptions(flags);
  if (tls) options.tls = tls;
  if (options.workers > 1 && options.address.transport === "unix") {
    throw new UsageError("--workers needs a TCP address; unix sockets cannot share a path");
  }
  if (options.unixMode !== undefined && options.address.transport !== "unix") {
    throw new UsageError("--unix-mode needs a unix:PATH address (it sets the socket file's mode)");
  }
  if (options.stdio && options.workers > 1) {
    throw new UsageError("--stdio serves one connection; it cannot be combined with --workers");
  }
  if (options.keepSending && !options.stdio) {
    throw new UsageError("--keep-sending needs --stdio (it is about sending stdin)");
  }
  if (options.stdio && flags.given("mode")) {
    throw new UsageError("--stdio bridges to stdin/stdout; it cannot be combined with --mode");
  }
  if (options.stdio && flags.given("max-conns")) {
    throw new UsageError("--max-conns has no meaning with --stdio (it serves one connection)");
  }
  if (options.stdio && flags.given("drain-timeout")) {
    throw new UsageError(
      "--drain-timeout has no meaning with --stdio (SIGINT/SIGTERM end it at once)",
    );
  }
  const accessFlag = flags.given("allow") ? "--allow" : flags.given("deny") ? "--deny" : undefined;
  if (accessFlag !== undefined && options.address.transport === "unix") {
    throw new UsageError(
      `${accessFlag} filters TCP peers by IP address; a unix socket peer has none ` +
        "(use --unix-mode to choose who may connect)",
    );
  }
  return options;
}

/** Reads --forward and the flags that only mean something with it. */
function forwardRules(flags: FlagValues, options: ServeOptions): void {
  const text = flags.string("forward");
  if (text === undefined) {
    for (const name of ["connect-timeout", "dump", "dump-file", "forward-tls"]) {
      if (flags.given(name)) throw new UsageError(`--${name} needs --forward`);
    }
    tlsClientOptions(flags, "forward-"); // each of its companions needs --forward-tls
    return;
  }
  if (flags.given("mode")) {
    throw new UsageError("--forward relays connections; it cannot be combined with --mode");
  }
  if (options.stdio) {
    throw new UsageError("--stdio bridges to stdin/stdout; it cannot be combined with --forward");
  }
  let target: Address;
  try {
    target = parseAddress(text);
  } catch (error) {
    throw new UsageError(`invalid value for --forward: ${(error as Error).message}`);
  }
  if (relaysToItself(options.address, target)) {
    throw new UsageError(`--forward ${text} is the listening address: it would relay to itself`);
  }
  const path = flags.string("dump-file");
  if (path !== undefined && flags.bool("dump")) {
    throw new UsageError("either --dump (stderr) or --dump-file PATH, not both");
  }
  options.mode = "forward";
  options.forward = {
    target,
    connectTimeoutMs: flags.duration("connect-timeout")!,
    dump: path !== undefined
      ? { to: "file", path }
      : flags.bool("dump")
      ? { to: "stderr" }
      : undefined,
  };
  const tls = tlsClientOptions(flags, "forward-");
  if (tls) options.forward.tls = tls;
}

/**
 * Whether `target` is the server's own listening address, a relay loop that would eat
 * every file descriptor: the same address, or the same port on a loopback name of a
 * wildcard or loopback listener.
 */
function relaysToItself(listen: Address, target: Address): boolean {
  if (formatAddress(listen) === formatAddress(target)) return true;
  if (listen.transport !== "tcp" || target.transport !== "tcp") return false;
  if (listen.port !== target.port) return false;
  const wildcard = (host: string) => host === "0.0.0.0" || host === "::";
  const loopback = (host: string) => /^(127\.|::1$|localhost$)/.test(host);
  return (wildcard(listen.hostname) && (wildcard(target.hostname) || loopback(target.hostname))) ||
    (loopback(listen.hostname) && target.hostname === "localhost");
}

function cidrs(flags: FlagValues, name: string): Cidr[] {
  return flags.strings(name).map((text) => {
    try {
      return parseCidr(text);
    } catch (error) {
      throw new UsageError(`invalid value for --${name}: ${(error as Error).message}`);
    }
  });
}

/** `600`, `0660` → the permission bits; anything else is a usage error. */
export function unixMode(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^0?[0-7]{3}$/.test(text)) {
    throw new UsageError(
      `invalid value for --unix-mode: "${text}" is not an octal mode like 600 or 0660`,
    );
  }
  return parseInt(text, 8);
}
