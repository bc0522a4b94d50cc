/**
 * IP addresses and CIDR blocks for `serve --allow/--deny` (pure, no I/O). IPv4-mapped
 * IPv6 peers (`::ffff:10.0.0.1`) match IPv4 rules, as a dual-stack listener reports them.
 */

/** An address block: `family` 4 or 6, network bits, prefix length. */
export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
  /** As the user wrote it, for logs. */
  text: string;
}

/** Parses an IPv4 or IPv6 literal (no brackets, no zone) into its family and value. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

/** Parses `10.0.0.0/8`, `::1/128`, or a single address (a full-length prefix). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (ip === undefined) throw new RangeError(`"${text}" is not an IP address or CIDR block`);
  const width = ip.family === 4 ? 32 : 128;
  const family = addrText.includes(":") && ip.family === 4 ? 4 : ip.family;
  let prefix = width;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > width) {
      throw new RangeError(`"${text}" has an invalid prefix length (0-${width})`);
    }
    prefix = Number(prefixText);
  }
  return { family, network: ip.value & mask(width, prefix), prefix, text };
}

/** Whether the address `ip` (text as Deno reports it) lies in `block`. */
export function cidrContains(block: Cidr, ip: string): boolean {
  const parsed = parseIp(ip);
  if (parsed === undefined || parsed.family !== block.family) return false;
  const width = block.family === 4 ? 32 : 128;
  return (parsed.value & mask(width, block.prefix)) === block.network;
}

/** Access rules: deny wins; with any allow rule, only allowed peers get in. */
export interface AccessRules {
  allow: Cidr[];
  deny: Cidr[];
}

/** Why a peer is refused, or undefined when it may connect. */
export function accessDenied(rules: AccessRules, ip: string): string | undefined {
  const denied = rules.deny.find((block) => cidrContains(block, ip));
  if (denied) return `denied by --deny ${denied.text}`;
  if (rules.allow.length > 0 && !rules.allow.some((block) => cidrContains(block, ip))) {
    return "not in any --allow block";
  }
  return undefined;
}

/** Why a connection's peer is refused, or undefined; unix socket peers have no IP to check. */
export function peerDenied(rules: AccessRules, peer: Deno.Addr): string | undefined {
  return peer.transport === "tcp" ? accessDenied(rules, peer.hostname) : undefined;
}

function mask(width: number, prefix: number): bigint {
  const all = (1n << BigInt(width)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(width - prefix)) << BigInt(width - prefix);
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255 || (part.length > 1 && part[0] === "0")) {
      return undefined;
    }
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(":")) return undefined;
  let groups: string[];
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1].split(":") : [];
  // A trailing dotted quad stands for the last two groups.
  const last = (halves.length === 2 ? tail : head).at(-1);
  let v4Tail: bigint | undefined;
  if (last?.includes(".")) {
    v4Tail = parseIpv4(last);
    if (v4Tail === undefined) return undefined;
    (halves.length === 2 ? tail : head).pop();
  }
  const needed = 8 - (v4Tail === undefined ? 0 : 2);
  if (halves.length === 2) {
    const missing = needed - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array(missing).fill("0"), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== needed) return undefined;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return v4Tail === undefined ? value : (value << 32n) | v4Tail;
}
