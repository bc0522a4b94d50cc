import { assertEquals, assertThrows } from "@std/assert";
import { accessDenied, cidrContains, parseCidr, parseIp } from "../lib/serve/cidr.ts";

Deno.test("parseIp reads IPv4, IPv6 and IPv4-mapped IPv6", () => {
  assertEquals(parseIp("127.0.0.1"), { family: 4, value: 0x7f000001n });
  assertEquals(parseIp("::1"), { family: 6, value: 1n });
  assertEquals(parseIp("::"), { family: 6, value: 0n });
  assertEquals(parseIp("2001:db8::"), { family: 6, value: 0x20010db8n << 96n });
  assertEquals(parseIp("::ffff:10.1.2.3"), { family: 4, value: 0x0a010203n });
  assertEquals(parseIp("1:2:3:4:5:6:7:8"), {
    family: 6,
    value: 0x00010002000300040005000600070008n,
  });
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.256",
      "01.2.3.4",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7:8:9",
      "x::1",
      "localhost",
    ]
  ) {
    assertEquals(parseIp(bad), undefined, bad);
  }
});

Deno.test("cidr blocks contain the right addresses", () => {
  const table: [string, string, boolean][] = [
    ["10.0.0.0/8", "10.200.1.1", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.168.1.7", "192.168.1.7", true],
    ["192.168.1.7", "192.168.1.8", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["127.0.0.0/8", "::ffff:127.0.0.1", true],
    ["::1", "::1", true],
    ["::1", "127.0.0.1", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["10.1.2.3/16", "10.1.200.200", true],
  ];
  for (const [block, ip, inside] of table) {
    assertEquals(cidrContains(parseCidr(block), ip), inside, `${block} ∋ ${ip}`);
  }
});

Deno.test("parseCidr rejects bad blocks", () => {
  for (
    const bad of ["", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "host/8", "1.2.3.4/8/8"]
  ) {
    assertThrows(() => parseCidr(bad), RangeError, undefined, bad);
  }
});

Deno.test("access rules: deny wins, allow restricts", () => {
  const rules = { allow: [parseCidr("127.0.0.0/8")], deny: [parseCidr("127.0.0.2")] };
  assertEquals(accessDenied(rules, "127.0.0.1"), undefined);
  assertEquals(accessDenied(rules, "127.0.0.2"), "denied by --deny 127.0.0.2");
  assertEquals(accessDenied(rules, "10.0.0.1"), "not in any --allow block");
  assertEquals(accessDenied({ allow: [], deny: [] }, "10.0.0.1"), undefined);
  assertEquals(
    accessDenied({ allow: [], deny: [parseCidr("::1")] }, "::1"),
    "denied by --deny ::1",
  );
});
