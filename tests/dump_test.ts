/** The `--dump` renderer (lib/serve/dump.ts): pure, table-driven. */

import { assertEquals } from "@std/assert";
import { type DumpRecord, hexLines, renderDump } from "../lib/serve/dump.ts";

const AT = new Date("2025-05-01T12:00:00.123Z");
const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

Deno.test("hexLines: hexdump -C layout, offsets from the stream's start, safe text column", () => {
  const cases: [Uint8Array, number, string][] = [
    [new Uint8Array(), 0, ""],
    // the same lines `printf 'hello\0\1 world' | hexdump -C` prints
    [
      bytes("hello\x00\x01 world"),
      0,
      "00000000  68 65 6c 6c 6f 00 01 20  77 6f 72 6c 64           |hello.. world|\n",
    ],
    [
      bytes("0123456789abcdefXYZ"),
      0,
      "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n" +
      "00000010  58 59 5a                                          |XYZ|\n",
    ],
    // exactly 8 bytes: the group gap is still there, the bars line up
    [
      bytes("ABCDEFGH"),
      0x1000,
      "00001000  41 42 43 44 45 46 47 48                           |ABCDEFGH|\n",
    ],
    // control bytes, DEL, high bytes and an escape sequence never reach the terminal as such
    [
      Uint8Array.from([0x1b, 0x5b, 0x32, 0x4a, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x09, 0x20, 0x7e]),
      4294967280,
      "fffffff0  1b 5b 32 4a 7f 80 ff 0a  0d 09 20 7e              |.[2J...... ~|\n",
    ],
  ];
  for (const [input, offset, expected] of cases) {
    assertEquals(hexLines(input, offset), expected, JSON.stringify([...input]));
  }
});

Deno.test("renderDump: direction-tagged, numbered, timestamped records", () => {
  const cases: [DumpRecord, string][] = [
    [
      { kind: "connected", id: 7, client: "127.0.0.1:53410", upstream: "unix:/run/app.sock" },
      "= #7 2025-05-01T12:00:00.123Z 127.0.0.1:53410 -> unix:/run/app.sock connected\n",
    ],
    [
      { kind: "data", id: 7, direction: ">", offset: 0, bytes: bytes("GET /\r\n") },
      "> #7 2025-05-01T12:00:00.123Z 7 bytes at 0\n" +
      "00000000  47 45 54 20 2f 0d 0a                              |GET /..|\n",
    ],
    [
      { kind: "data", id: 7, direction: "<", offset: 16, bytes: bytes("!") },
      "< #7 2025-05-01T12:00:00.123Z 1 byte at 16\n" +
      "00000010  21                                                |!|\n",
    ],
    [
      { kind: "end", id: 7, direction: ">", total: 7 },
      "> #7 2025-05-01T12:00:00.123Z end of stream after 7 bytes\n",
    ],
    [
      { kind: "end", id: 7, direction: "<", total: 0 },
      "< #7 2025-05-01T12:00:00.123Z end of stream after 0 bytes\n",
    ],
  ];
  for (const [record, expected] of cases) assertEquals(renderDump(record, AT), expected);
});
