/**
 * The one address syntax shared by every subcommand (pure, no I/O):
 *
 *   HOST:PORT   example.com:80, 127.0.0.1:9000
 *   [IPV6]:PORT [::1]:9000
 *   :PORT, PORT the command's default host (loopback)
 *   unix:PATH   a unix domain socket
 *
 * Targets for `connect --check` may also name a port range: `HOST:8000-8010`.
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
}

/** Most ports a single range may expand to, so a typo cannot start 65k connects. */
export const MAX_RANGE_PORTS = 1024;

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

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

function parseWithPorts(text: string, options: ParseAddressOptions, allowRange: boolean) {
  const defaultHost = options.defaultHost ?? "127.0.0.1";
  if (text.startsWith("unix:")) {
    const path = text.slice("unix:".length);
    if (path === "") throw new RangeError(`address "${text}" has an empty unix socket path`);
    if (path.includes("\0")) throw new RangeError(`address "${text}" contains a NUL byte`);
    return [{ transport: "unix", path } as Address];
  }
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new RangeError(`address "${text}" is missing "]" after the IPv6 address`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (!rest.startsWith(":")) {
      throw new RangeError(`address "${text}" needs a port after "]", e.g. [::1]:9000`);
    }
    portText = rest.slice(1);
    if (!IPV6.test(host) || !host.includes(":")) {
      throw new RangeError(`address "${text}" has an invalid IPv6 address "${host}"`);
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) {
      host = defaultHost;
      portText = text;
    } else {
      if (text.indexOf(":") !== colon) {
        throw new RangeError(`address "${text}": put IPv6 addresses in brackets, e.g. [::1]:9000`);
      }
      const given = text.slice(0, colon);
      if (given !== "" && !HOSTNAME.test(given)) {
        throw new RangeError(`address "${text}" has an invalid host "${given}"`);
      }
      host = given || defaultHost;
      portText = text.slice(colon + 1);
    }
  }
  if (portText === "") throw new RangeError(`address "${text}" is missing a port`);
  const ports = parsePorts(text, portText, options.allowPortZero ?? false, allowRange);
  return ports.map((port): Address => ({ transport: "tcp", hostname: host, port }));
}

function parsePorts(text: string, portText: string, allowZero: boolean, allowRange: boolean) {
  const range = /^(\d+)-(\d+)$/.exec(portText);
  if (range && allowRange) {
    const first = parsePort(text, range[1], false);
    const last = parsePort(text, range[2], false);
    if (last < first) throw new RangeError(`address "${text}" has a descending port range`);
    if (last - first + 1 > MAX_RANGE_PORTS) {
      throw new RangeError(`address "${text}" spans more than ${MAX_RANGE_PORTS} ports`);
    }
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }
  return [parsePort(text, portText, allowZero)];
}

function parsePort(text: string, portText: string, allowZero: boolean): number {
  if (!/^\d{1,5}$/.test(portText)) {
    throw new RangeError(`address "${text}" has an invalid port "${portText}"`);
  }
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowZero)) {
    const allowed = allowZero ? "0-65535" : "1-65535";
    throw new RangeError(`address "${text}" has port ${port} outside ${allowed}`);
  }
  return port;
}

/** Formats an address the way it is parsed: `127.0.0.1:80`, `[::1]:80`, `unix:/p`. */
export function formatAddress(address: Address): string {
  if (address.transport === "unix") return `unix:${address.path}`;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/** Formats a `Deno.Addr` (a peer or local address of a socket). */
export function formatNetAddr(addr: Deno.Addr): string {
  if ("path" in addr) return `unix:${addr.path || "(unnamed)"}`;
  if ("cid" in addr) return `vsock:${addr.cid}:${addr.port}`;
  return formatAddress({ transport: "tcp", hostname: addr.hostname, port: addr.port });
}

/** Parses a command-line ADDRESS argument; a bad one is a usage error. */
export function addressArgument(text: string, listening: boolean): Address {
  try {
    return parseAddress(text, { allowPortZero: listening });
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
