/**
 * `tcpkit serve`'s options: their type and how they are built from the parsed command
 * line, with the cross-flag rules that make a combination a usage error. Pure.
 */

import { type Address, addressArgument } from "../common/address.ts";
import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { type AccessRules, type Cidr, parseCidr } from "./cidr.ts";
import { type TlsServeOptions, tlsServeOptions } from "../tls/options.ts";

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
  /** Serve over TLS (`--tls` and its companions); undefined serves plain TCP. */
  tls?: TlsServeOptions;
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
  };
  const tls = tlsServeOptions(flags);
  if (tls) options.tls = tls;
  if (options.workers > 1 && options.address.transport === "unix") {
    throw new UsageError("--workers needs a TCP address; unix sockets cannot share a path");
  }
  if (options.stdio && options.workers > 1) {
    throw new UsageError("--stdio serves one connection; it cannot be combined with --workers");
  }
  if (options.keepSending && !options.stdio) {
    throw new UsageError("--keep-sending needs --stdio (it is about sending stdin)");
  }
  if (options.stdio && options.mode !== "echo") {
    throw new UsageError("--stdio bridges to stdin/stdout; it cannot be combined with --mode");
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
