/** `connect --crlf`: LF → CRLF over a chunked stream, CRLF kept, binary bytes untouched. */

import { assert, assertEquals } from "@std/assert";
import { CrlfEncoder, CrlfReader } from "../lib/connect/crlf.ts";
import type { ChunkReader } from "../lib/common/pipe.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** Runs chunks through one encoder and joins what came out. */
function encodeChunks(chunks: string[]): string {
  const encoder = new CrlfEncoder();
  return chunks.map((c) => decode(encoder.encode(encode(c)))).join("");
}

Deno.test("CrlfEncoder turns bare LF into CRLF and leaves CRLF alone", () => {
  const cases: [string[], string][] = [
    [[""], ""],
    [["no newline"], "no newline"],
    [["a\nb\n"], "a\r\nb\r\n"],
    [["a\r\nb\r\n"], "a\r\nb\r\n"],
    [["\n\n"], "\r\n\r\n"],
    [["\r\r\n"], "\r\r\n"],
    [["lone\rcr"], "lone\rcr"],
    [["mixed\r\nand\n"], "mixed\r\nand\r\n"],
    // The CR and the LF of one CRLF in different chunks: no CR is added.
    [["a\r", "\nb"], "a\r\nb"],
    [["a\r", "", "\nb"], "a\r\nb"],
    // A chunk ending in LF, the next starting with LF.
    [["a\n", "\nb"], "a\r\n\r\nb"],
    [["a", "\n", "\n"], "a\r\n\r\n"],
  ];
  for (const [chunks, expected] of cases) {
    assertEquals(encodeChunks(chunks), expected, JSON.stringify(chunks));
  }
});

Deno.test("CrlfEncoder returns the chunk itself when nothing changes", () => {
  const chunk = encode("PING\r\n");
  assert(new CrlfEncoder().encode(chunk) === chunk);
});

Deno.test("CrlfEncoder passes every other byte value through", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const out = new CrlfEncoder().encode(all);
  assertEquals(out.length, 257);
  assertEquals([...out.subarray(0, 10)], [...all.subarray(0, 10)]);
  assertEquals([out[10], out[11]], [0x0d, 0x0a]);
  assertEquals([...out.subarray(12)], [...all.subarray(11)]);
});

Deno.test("CrlfEncoder handles a chunk of only LFs after a smaller one", () => {
  const encoder = new CrlfEncoder();
  assertEquals(decode(encoder.encode(encode("a\n"))), "a\r\n");
  const out = encoder.encode(new Uint8Array(100_000).fill(0x0a));
  assertEquals(out.length, 200_000);
  assert(out.every((byte, i) => byte === (i % 2 ? 0x0a : 0x0d)));
});

Deno.test("CrlfReader translates a reader's chunks and passes its EOF", async () => {
  const chunks = ["HELO x\n", "MAIL FROM:<a@b>\r", "\nQUIT\n"];
  const inner: ChunkReader = {
    readChunk: () => Promise.resolve(chunks.length ? encode(chunks.shift()!) : null),
  };
  const reader = new CrlfReader(inner);
  let out = "";
  for (let c = await reader.readChunk(); c !== null; c = await reader.readChunk()) out += decode(c);
  assertEquals(out, "HELO x\r\nMAIL FROM:<a@b>\r\nQUIT\r\n");
});
