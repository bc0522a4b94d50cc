/**
 * The one address syntax shared by every subcommand (pure, no I/O):
 *
 *   HOST:PORT   example.com:80, 127.0.0.1:9000
 *   [IPV6]:PORT [::1]:9000
 *   :PORT, PORT the command's default host (loopback)
 *   unix:PATH   a unix domain socket
 *
 * Targets for `connect --check` may also name a port range: `HOST:8000-8010`.
 *
 * Host names come out in the form the resolver needs: an internationalised name in
 * punycode (`héllo` → `xn--hllo-bpa`, as the URL standard converts it) and without the
 * final dot of a fully qualified name (`localhost.` → `localhost`; Deno's resolver fails
 * on the dot). Messages show that form. A name DNS could never hold (an empty or
 * 64-character label, over 253 characters) is rejected here, so it is a usage error and
 * not a resolver failure.
 */

import { UsageError } from "./errors.ts";

/** A TCP endpoint. `hostname` holds IPv6 literals without brackets. */
export interface TcpAddress {
  transport: "tcp";
  hostname: string;
  port: number;
}

/** A unix domain socket path. */
export interface UnixAddress {
  transport: "unix";
  path: string;
}

export type Address = TcpAddress | UnixAddress;

/** Options for {@linkcode parseAddress}. */
export interface ParseAddressOptions {
  /** Host used for `:PORT` and `PORT`. @default "127.0.0.1" */
  defaultHost?: string;
  /** Whether port 0 (let the OS choose) is accepted; true for listeners only. @default false */
  allowPortZero?: boolean;
  /**
   * The flag that would accept a port range here (`-z/--check`), named when one is
   * given where it is not. @default undefined (a range is simply not accepted)
   */
  rangeFlag?: string;
}

/** Most ports a single range may expand to, so a typo cannot start 65k connects. */
export const MAX_RANGE_PORTS = 1024;

/**
 * Most bytes of a unix socket path: `sun_path` holds 104 bytes with the final NUL on macOS
 * and the BSDs, 108 on Linux.
 */
export const UNIX_PATH_MAX_BYTES =
  ["darwin", "freebsd", "netbsd", "openbsd"].includes(Deno.build.os) ? 103 : 107;

/** Most characters of a host name, and of one of its dot-separated labels (RFC 1035). */
const MAX_HOST_CHARS = 253;
const MAX_LABEL_CHARS = 63;
const HOST_CHARS = /^[A-Za-z0-9_.-]+$/;
/** Longest IPv6 address text (45, for an embedded IPv4 form) plus a zone `%name`. */
const MAX_IPV6_CHARS = 45 + 1 + 15;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;
/** `tcp://`, `http://`…: a URL scheme, which tcpkit's addresses do not take. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** Parses one address. Throws a RangeError whose message names the fault. */
export function parseAddress(text: string, options: ParseAddressOptions = {}): Address {
  const [address] = parseWithPorts(text, options, false);
  return address;
}

/**
 * Parses an address that may end in a port range (`HOST:8000-8010`) into one
 * address per port, in order. Unix addresses yield themselves.
 */
export function parseAddressRange(text: string, options: ParseAddressOptions = {}): Address[] {
  return parseWithPorts(text, options, true);
}

/**
 * `text` quoted for a one-line message; a long one shortened to its start and its length,
 * e.g. `"aaaa…" (100000 characters)`, so a pasted blob cannot flood the terminal.
 */
export function quoteShort(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= 60) return JSON.stringify(text);
  return `${JSON.stringify(`${chars.slice(0, 40).join("")}…`)} (${chars.length} characters)`;
}

function parseWithPorts(text: string, options: ParseAddressOptions, allowRange: boolean) {
  const defaultHost = options.defaultHost ?? "127.0.0.1";
  const fault = (what: string) => new RangeError(`address ${quoteShort(text)} ${what}`);
  if (text.startsWith("unix:")) return [parseUnix(text, fault)];
  const scheme = SCHEME.exec(text);
  if (scheme) {
    throw new RangeError(
      `address ${quoteShort(text)}: schemes such as "${scheme[0]}" are not supported; ` +
        `write ${suggestWithoutScheme(text.slice(scheme[0].length))}`,
    );
  }
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw fault(`is missing "]" after the IPv6 address`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (!IPV6.test(host) || !host.includes(":") || host.length > MAX_IPV6_CHARS) {
      throw fault(`has an invalid IPv6 address ${quoteShort(host)}`);
    }
    if (/^fe[89ab][0-9a-f]:/i.test(host) && !host.includes("%")) {
      // The kernel refuses these (EINVAL): which link is meant?
      throw fault(
        `has a link-local IPv6 address without a zone; name the interface, e.g. [${host}%eth0]`,
      );
    }
    if (rest === "") throw fault(`is missing a port, e.g. [${host}]:PORT`);
    if (!rest.startsWith(":")) throw fault(`needs ":" and a port after "]", e.g. [${host}]:PORT`);
    portText = rest.slice(1);
  } else {
    const colon = text.lastIndexOf(":");
    if (text === "") throw fault("is empty; write HOST:PORT, :PORT or unix:PATH");
    if (colon < 0) {
      if (!/^[+-]?\d/.test(text) || /^\d+(\.\d+)+$/.test(text)) {
        // No port at all: a host name or IPv4 address alone (a port starts with a digit).
        checkHost(text, fault);
        throw fault(`is missing a port, e.g. ${text}:PORT`);
      }
      host = defaultHost;
      portText = text;
    } else {
      if (text.indexOf(":") !== colon) {
        throw new RangeError(
          `address ${quoteShort(text)}: put IPv6 addresses in brackets, e.g. [::1]:9000`,
        );
      }
      const given = text.slice(0, colon);
      host = given === "" ? defaultHost : checkHost(given, fault);
      portText = text.slice(colon + 1);
      if (portText === "") throw fault(`is missing a port, e.g. ${given || "HOST"}:PORT`);
    }
  }
  const ports = parsePorts(fault, portText, options, allowRange);
  return ports.map((port): Address => ({ transport: "tcp", hostname: host, port }));
}

function parseUnix(text: string, fault: (what: string) => RangeError): Address {
  const path = text.slice("unix:".length);
  if (path === "") throw fault("has an empty unix socket path");
  if (path.includes("\0")) throw fault("contains a NUL byte");
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > UNIX_PATH_MAX_BYTES) {
    throw fault(
      `has a unix socket path of ${bytes} bytes; this system allows at most ` +
        `${UNIX_PATH_MAX_BYTES} (use a shorter path, e.g. a relative one)`,
    );
  }
  return { transport: "unix", path };
}

/** What to write instead of `tcp://HOST:PORT/...`: the `HOST:PORT` part. */
function suggestWithoutScheme(rest: string): string {
  const authority = rest.replace(/[/?#].*$/s, "").replace(/^.*@/, "");
  if (authority === "" || authority.length > 60) return "HOST:PORT";
  const hasPort = authority.startsWith("[") ? /\]:/.test(authority) : authority.includes(":");
  return hasPort ? authority : `${authority}:PORT`;
}

/**
 * The host name as the resolver needs it (punycode, no final dot), or a RangeError
 * saying why DNS could not hold it.
 */
function checkHost(given: string, fault: (what: string) => RangeError): string {
  const invalid = (why: string) => fault(`has an invalid host ${quoteShort(given)}: ${why}`);
  let name = given;
  // deno-lint-ignore no-control-regex
  if (/[^\x00-\x7f]/.test(name)) {
    // Internationalised: the URL standard's conversion (UTS #46), ASCII punctuation
    // checked first since a URL would read "/", ":" or "%" as its own syntax.
    if (/[^\x80-\u{10ffff}A-Za-z0-9_.-]/u.test(name)) {
      throw invalid(`only letters, digits, "-", "_" and "." are allowed`);
    }
    try {
      name = new URL(`http://${name}/`).hostname;
    } catch {
      throw invalid("not a valid internationalised domain name");
    }
  }
  if (!HOST_CHARS.test(name)) throw invalid(`only letters, digits, "-", "_" and "." are allowed`);
  if (name.length > 1 && name.endsWith(".")) name = name.slice(0, -1);
  if (name.length > MAX_HOST_CHARS) throw invalid(`longer than ${MAX_HOST_CHARS} characters`);
  for (const label of name.split(".")) {
    if (label === "") throw invalid("empty label (two dots in a row, or a dot at the start)");
    if (label.length > MAX_LABEL_CHARS) {
      throw invalid(`a label is longer than ${MAX_LABEL_CHARS} characters`);
    }
    if (label.startsWith("-") || label.endsWith("-")) {
      throw invalid(`a label starts or ends with "-"`);
    }
  }
  return name;
}

function parsePorts(
  fault: (what: string) => RangeError,
  portText: string,
  options: ParseAddressOptions,
  allowRange: boolean,
) {
  const range = /^(\d+)-(\d+)$/.exec(portText);
  if (range && !allowRange) {
    throw fault(
      options.rangeFlag === undefined
        ? "has a port range; give one port"
        : `has a port range; ranges work only with ${options.rangeFlag}`,
    );
  }
  if (range) {
    const first = parsePort(fault, range[1], false);
    const last = parsePort(fault, range[2], false);
    if (last < first) throw fault("has a descending port range");
    if (last - first + 1 > MAX_RANGE_PORTS) throw fault(`spans more than ${MAX_RANGE_PORTS} ports`);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }
  return [parsePort(fault, portText, options.allowPortZero ?? false)];
}

function parsePort(fault: (what: string) => RangeError, portText: string, allowZero: boolean) {
  if (!/^\d{1,5}$/.test(portText)) throw fault(`has an invalid port ${quoteShort(portText)}`);
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowZero)) {
    throw fault(`has port ${port} outside ${allowZero ? "0-65535" : "1-65535"}`);
  }
  return port;
}

/** Formats an address the way it is parsed: `127.0.0.1:80`, `[::1]:80`, `unix:/p`. */
export function formatAddress(address: Address): string {
  if (address.transport === "unix") return `unix:${address.path}`;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * Formats a `Deno.Addr` (a peer or local address of a socket). Deno's addresses carry no
 * IPv6 zone: pass the address that was `asked` for (listened on, connected to) and its
 * zone is shown again, so `[fe80::1%eth0]:9000` can be copied and used.
 */
export function formatNetAddr(addr: Deno.Addr, asked?: Address): string {
  if ("path" in addr) return `unix:${addr.path || "(unnamed)"}`;
  if ("cid" in addr) return `vsock:${addr.cid}:${addr.port}`;
  let hostname = addr.hostname;
  if (asked?.transport === "tcp" && asked.hostname.split("%")[0].toLowerCase() === hostname) {
    hostname = asked.hostname;
  }
  return formatAddress({ transport: "tcp", hostname, port: addr.port });
}

/**
 * Parses a command-line ADDRESS argument; a bad one is a usage error. `rangeFlag` names
 * the flag under which a port range would be accepted (see {@linkcode ParseAddressOptions}).
 */
export function addressArgument(text: string, listening: boolean, rangeFlag?: string): Address {
  try {
    return parseAddress(text, { allowPortZero: listening, rangeFlag });
  } catch (error) {
    throw new UsageError(`invalid ADDRESS: ${(error as Error).message}`);
  }
}

/** Parses a command-line ADDRESS that may be a port range (`connect -z`). */
export function addressRangeArgument(text: string): Address[] {
  try {
    return parseAddressRange(text);
  } catch (error) {
    throw new UsageError(`invalid ADDRESS: ${(error as Error).message}`);
  }
}
