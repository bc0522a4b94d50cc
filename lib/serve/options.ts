/**
 * `tcpkit serve`'s options: their type and how they are built from the parsed command
 * line, with the cross-flag rules that make a combination a usage error. Pure.
 */

import { type Address, addressArgument } from "../common/address.ts";
import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { type AccessRules, type Cidr, parseCidr } from "./cidr.ts";

/** The serve command's typed options. */
export interface ServeOptions {
  /** Where to listen. @default 127.0.0.1:9999 */
  address: Address;
  /** @default "echo" */
  mode: "echo" | "discard" | "source";
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
