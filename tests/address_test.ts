import { assertEquals, assertThrows } from "@std/assert";
import {
  type Address,
  formatAddress,
  MAX_RANGE_PORTS,
  parseAddress,
  parseAddressRange,
} from "../lib/common/address.ts";

const tcp = (hostname: string, port: number): Address => ({ transport: "tcp", hostname, port });

Deno.test("parseAddress accepts every documented form", () => {
  const table: [string, Address][] = [
    ["127.0.0.1:9000", tcp("127.0.0.1", 9000)],
    ["example.com:80", tcp("example.com", 80)],
    ["localhost:1", tcp("localhost", 1)],
    ["[::1]:9000", tcp("::1", 9000)],
    ["[fe80::1%eth0]:22", tcp("fe80::1%eth0", 22)],
    ["[::]:65535", tcp("::", 65535)],
    [":9000", tcp("127.0.0.1", 9000)],
    ["9000", tcp("127.0.0.1", 9000)],
    ["unix:/tmp/x.sock", { transport: "unix", path: "/tmp/x.sock" }],
    ["unix:rel.sock", { transport: "unix", path: "rel.sock" }],
  ];
  for (const [text, expected] of table) assertEquals(parseAddress(text), expected, text);
});

Deno.test("parseAddress uses the default host and port-0 rule", () => {
  assertEquals(parseAddress(":80", { defaultHost: "::1" }), tcp("::1", 80));
  assertEquals(parseAddress(":0", { allowPortZero: true }), tcp("127.0.0.1", 0));
  assertThrows(() => parseAddress(":0"), RangeError, "outside 1-65535");
});

Deno.test("parseAddress rejects malformed input naming the fault", () => {
  const table: [string, string][] = [
    [":", "missing a port"],
    ["host:", "missing a port"],
    ["", "missing a port"],
    ["[::1", 'missing "]"'],
    ["[::1]", "needs a port"],
    ["[::1]9000", "needs a port"],
    ["[zz]:80", "invalid IPv6"],
    ["1.2.3.4:70000", "outside"],
    ["99999", "outside 1-65535"],
    ["-1", "invalid port"],
    ["::1:80", "brackets"],
    ["unix:", "empty unix socket path"],
    ["host name:80", "invalid host"],
    ["héllo:80", "invalid host"],
    ["a:b", "invalid port"],
    ["80-90", "invalid port"],
  ];
  for (const [text, fault] of table) {
    assertThrows(() => parseAddress(text), RangeError, fault, text);
  }
});

Deno.test("parseAddressRange expands port ranges", () => {
  assertEquals(parseAddressRange("localhost:8000-8002"), [
    tcp("localhost", 8000),
    tcp("localhost", 8001),
    tcp("localhost", 8002),
  ]);
  assertEquals(parseAddressRange("[::1]:7-7"), [tcp("::1", 7)]);
  assertEquals(parseAddressRange(":22"), [tcp("127.0.0.1", 22)]);
  assertThrows(() => parseAddressRange(":10-9"), RangeError, "descending");
  assertThrows(() => parseAddressRange(":0-5"), RangeError, "outside");
  assertThrows(() => parseAddressRange(`:1-${MAX_RANGE_PORTS + 1}`), RangeError, "more than");
});

Deno.test("formatAddress round-trips", () => {
  for (const text of ["127.0.0.1:80", "[::1]:9000", "unix:/tmp/a.sock", "example.com:1"]) {
    assertEquals(formatAddress(parseAddress(text)), text);
  }
});
