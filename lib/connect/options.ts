/**
 * `tcpkit connect`'s options: their type and how they are built from the parsed command
 * line, with the cross-flag rules that make a combination a usage error. Pure.
 */

import { type Address, addressArgument, addressRangeArgument } from "../common/address.ts";
import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { type TlsClientOptions, tlsClientOptions } from "../tls/options.ts";

/** The connect command's typed options. */
export interface ConnectOptions {
  /** One or more targets; several (or a port range) only with --check. */
  targets: Address[];
  halfClose: boolean;
  keepSending: boolean;
  send: string[];
  sendFile: string | undefined;
  repeat: number;
  intervalMs: number;
  check: boolean;
  waitMs: number | undefined;
  timeoutMs: number;
  idleTimeoutMs: number | undefined;
  crlf: boolean;
  verbose: boolean;
  /** Speak TLS (`--tls` and its trust flags); undefined speaks plain TCP. */
  tls?: TlsClientOptions;
}

/** Builds `connect`'s options from its flags and arguments. */
export function connectOptions(flags: FlagValues, args: string[]): ConnectOptions {
  const check = flags.bool("check");
  const targets = check
    ? args.flatMap((text) => addressRangeArgument(text))
    : args.map((text) => addressArgument(text, false, "-z/--check"));
  if (!check && targets.length > 1) {
    throw new UsageError("connect takes one ADDRESS (several only with --check/-z)");
  }
  const send = flags.strings("send");
  const sendFile = flags.string("send-file");
  if (send.length > 0 && sendFile !== undefined) {
    throw new UsageError("use either --send or --send-file, not both");
  }
  const repeat = flags.count("repeat")!;
  if (flags.given("repeat") && send.length === 0 && sendFile === undefined) {
    throw new UsageError("--repeat needs --send or --send-file");
  }
  if (check && (send.length > 0 || sendFile !== undefined)) {
    throw new UsageError("--check only tests the port; it cannot be combined with --send");
  }
  // --check opens and closes a connection: no data, so none of the data flags apply.
  for (const name of ["no-half-close", "keep-sending", "interval", "idle-timeout", "crlf"]) {
    if (check && flags.given(name)) {
      throw new UsageError(`--check only tests the port; it cannot be combined with --${name}`);
    }
  }
  if (flags.given("interval") && !flags.given("repeat")) {
    throw new UsageError("--interval needs --repeat (it is the pause between repeated sends)");
  }
  const options: ConnectOptions = {
    targets,
    halfClose: !flags.bool("no-half-close"),
    keepSending: flags.bool("keep-sending"),
    send,
    sendFile,
    repeat,
    intervalMs: flags.duration("interval")!,
    check,
    waitMs: flags.duration("wait"),
    timeoutMs: flags.duration("timeout")!,
    idleTimeoutMs: flags.duration("idle-timeout"),
    crlf: flags.bool("crlf"),
    verbose: flags.bool("verbose"),
  };
  const tls = tlsClientOptions(flags);
  if (tls) options.tls = tls;
  return options;
}

/**
 * The flags interactive mode (stdin a terminal, no --send/--send-file) cannot honour: it
 * half-closes on "exit" or Ctrl-D and ends when the peer closes. A usage error, checked
 * before connecting; `stdinIsTerminal` is the caller's, so this stays pure.
 */
export function checkInteractiveFlags(options: ConnectOptions, stdinIsTerminal: boolean): void {
  if (!stdinIsTerminal || options.check || options.send.length > 0) return;
  if (options.sendFile !== undefined) return;
  const flag = !options.halfClose ? "--no-half-close" : options.keepSending ? "--keep-sending" : "";
  if (flag !== "") {
    throw new UsageError(
      `${flag} applies to piped stdin; interactive mode (stdin a terminal) ends on "exit", ` +
        "Ctrl-D or the peer closing",
    );
  }
}
