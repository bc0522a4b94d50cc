import { assertEquals, assertThrows } from "@std/assert";
import {
  type Address,
  formatAddress,
  MAX_RANGE_PORTS,
  parseAddress,
  parseAddressRange,
  quoteShort,
  UNIX_PATH_MAX_BYTES,
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
    // What the resolver needs: no final dot, punycode (as `new URL()` converts it).
    ["localhost.:80", tcp("localhost", 80)],
    ["example.com.:443", tcp("example.com", 443)],
    ["héllo:80", tcp("xn--hllo-bpa", 80)],
    ["Bücher.example.:80", tcp("xn--bcher-kva.example", 80)],
    ["日本.jp:80", tcp("xn--wgv71a.jp", 80)],
    ["under_score:1", tcp("under_score", 1)],
    [`${"a".repeat(63)}.b:1`, tcp(`${"a".repeat(63)}.b`, 1)],
    [`${"a.".repeat(126)}a.:1`, tcp(`${"a.".repeat(126)}a`, 1)], // 253 characters
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
    [":", "missing a port, e.g. HOST:PORT"],
    ["host:", "missing a port, e.g. host:PORT"],
    ["", "is empty"],
    ["127.0.0.1", 'address "127.0.0.1" is missing a port, e.g. 127.0.0.1:PORT'],
    ["localhost", "missing a port, e.g. localhost:PORT"],
    ["[::1", 'missing "]"'],
    ["[::1]", "missing a port, e.g. [::1]:PORT"],
    ["[::1]9000", 'needs ":" and a port'],
    ["[zz]:80", "invalid IPv6"],
    ["1.2.3.4:70000", "outside"],
    ["99999", "outside 1-65535"],
    ["-1", 'invalid port "-1"'],
    ["::1:80", "brackets"],
    ["unix:", "empty unix socket path"],
    ["tcp://127.0.0.1:80", 'schemes such as "tcp://" are not supported; write 127.0.0.1:80'],
    ["http://example.com/a", "write example.com:PORT"],
    ["tcp://[::1]:9/", "write [::1]:9"],
    ["host name:80", 'invalid host "host name": only letters, digits'],
    ["a..b:80", 'invalid host "a..b": empty label'],
    [".a:80", "empty label"],
    ["localhost..:80", "empty label"],
    [`${"a".repeat(64)}.com:80`, "a label is longer than 63 characters"],
    [`${"a.".repeat(127)}a:80`, "longer than 253 characters"],
    ["-a.com:80", 'a label starts or ends with "-"'],
    ["a-.com:80", 'a label starts or ends with "-"'],
    ["h\u00e9/llo:80", "only letters, digits"],
    ["xn--\u00e9:80", "not a valid internationalised domain name"],
    ["a:b", 'invalid port "b"'],
    ["80-90", "has a port range; give one port"],
    ["host:80-90", "has a port range; give one port"],
  ];
  for (const [text, fault] of table) {
    assertThrows(() => parseAddress(text), RangeError, fault, text);
  }
  assertThrows(
    () => parseAddress(":80-90", { rangeFlag: "-z/--check" }),
    RangeError,
    "has a port range; ranges work only with -z/--check",
  );
});

Deno.test("parseAddress: long input is shortened in messages, never echoed whole", () => {
  const name = "a".repeat(100_000);
  const error = assertThrows(() => parseAddress(`${name}:80`), RangeError);
  assertEquals(
    error.message,
    `address "${"a".repeat(40)}…" (100003 characters) has an invalid host ` +
      `"${"a".repeat(40)}…" (100000 characters): longer than 253 characters`,
  );
  assertEquals(quoteShort("short"), '"short"');
  assertEquals(quoteShort("x\ny"), '"x\\ny"'); // one line, always
  assertEquals(quoteShort("é".repeat(61)), `"${"é".repeat(40)}…" (61 characters)`);
});

Deno.test("parseAddress: unix socket paths over the OS limit say so", () => {
  const longest = `/tmp/${"s".repeat(UNIX_PATH_MAX_BYTES - 5)}`;
  assertEquals(parseAddress(`unix:${longest}`), { transport: "unix", path: longest });
  assertThrows(
    () => parseAddress(`unix:${longest}x`),
    RangeError,
    `has a unix socket path of ${
      UNIX_PATH_MAX_BYTES + 1
    } bytes; this system allows at most ${UNIX_PATH_MAX_BYTES}`,
  );
  // Bytes, not characters: "é" is two.
  const wide = `/tmp/${"é".repeat(UNIX_PATH_MAX_BYTES / 2)}`;
  assertThrows(() => parseAddress(`unix:${wide}`), RangeError, "bytes; this system allows");
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

Deno.test("formatAddress round-trips, IPv6 zones included", () => {
  for (
    const text of [
      "127.0.0.1:80",
      "[::1]:9000",
      "[fe80::1%lo]:22",
      "unix:/tmp/a.sock",
      "example.com:1",
      "xn--hllo-bpa:80",
    ]
  ) {
    assertEquals(formatAddress(parseAddress(text)), text);
  }
  assertEquals(formatAddress(parseAddress("héllo.:80")), "xn--hllo-bpa:80");
});
