/** The one "peer went away" classification (lib/common/errors.ts), by class and errno code. */

import { assert, assertEquals } from "@std/assert";
import { describeNetError, errorCode, isOutOfFiles, isPeerGone } from "../lib/common/errors.ts";
import { writeAll } from "../lib/common/io.ts";

const withCode = (code: string) => Object.assign(new Error("x"), { code });

Deno.test("isPeerGone: Deno's error classes and errno codes, never message text", () => {
  const cases: [string, unknown, boolean][] = [
    ["ConnectionReset", new Deno.errors.ConnectionReset("x"), true],
    ["BrokenPipe", new Deno.errors.BrokenPipe("x"), true],
    ["ConnectionAborted", new Deno.errors.ConnectionAborted("x"), true],
    ["NotConnected", new Deno.errors.NotConnected("x"), true],
    ["UnexpectedEof", new Deno.errors.UnexpectedEof("x"), true],
    ["code ECONNRESET", withCode("ECONNRESET"), true],
    ["code EPIPE", withCode("EPIPE"), true],
    ["code ECONNABORTED", withCode("ECONNABORTED"), true],
    ["code ENOTCONN", withCode("ENOTCONN"), true],
    // Our own closed resource, a timeout or a signal is not the peer leaving.
    ["BadResource", new Deno.errors.BadResource("x"), false],
    ["Interrupted", new Deno.errors.Interrupted("x"), false],
    ["TimedOut", new Deno.errors.TimedOut("x"), false],
    ["ConnectionRefused", new Deno.errors.ConnectionRefused("x"), false],
    ["WouldBlock", new Deno.errors.WouldBlock("x"), false],
    ["code EMFILE", withCode("EMFILE"), false],
    ["code ECONNREFUSED", withCode("ECONNREFUSED"), false],
    ["message text only", new Error("Connection reset by peer (os error 104)"), false],
    ["TimeoutError", new DOMException("t", "TimeoutError"), false],
    ["string", "ECONNRESET", false],
    ["null", null, false],
    ["undefined", undefined, false],
  ];
  for (const [name, error, expected] of cases) assertEquals(isPeerGone(error), expected, name);
});

Deno.test("isOutOfFiles and errorCode read the errno code", () => {
  const cases: [unknown, string | undefined, boolean][] = [
    [withCode("EMFILE"), "EMFILE", true],
    [withCode("ENFILE"), "ENFILE", true],
    [withCode("EPIPE"), "EPIPE", false],
    [new Error("Too many open files (os error 24)"), undefined, false],
    [Object.assign(new Error("x"), { code: 24 }), undefined, false],
    [undefined, undefined, false],
  ];
  for (const [error, code, outOfFiles] of cases) {
    assertEquals(errorCode(error), code);
    assertEquals(isOutOfFiles(error), outOfFiles, String(code));
  }
});

Deno.test("a write to a peer that reset is classified as gone (what Deno really throws)", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  listener.close();
  try {
    // Closing with unread data makes the client's kernel answer with a reset.
    await writeAll(server, new Uint8Array(10));
    assertEquals(await client.read(new Uint8Array(1)), 1);
    client.close();
    let failure: unknown;
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 1000 && failure === undefined; i++) {
      await server.write(chunk).catch((error) => failure = error);
    }
    assert(failure !== undefined, "writes to a reset peer kept succeeding");
    assert(isPeerGone(failure), String(failure));
    assert(["EPIPE", "ECONNRESET"].includes(errorCode(failure) ?? ""), errorCode(failure));
  } finally {
    server.close();
  }
});

Deno.test("describeNetError: one short line, no errno suffix", () => {
  const cases: [unknown, string][] = [
    [new Deno.errors.ConnectionRefused("Connection refused (os error 111)"), "connection refused"],
    [new Deno.errors.ConnectionReset("x"), "connection reset by peer"],
    [new DOMException("t", "TimeoutError"), "timed out"],
    [
      new Error("Resource temporarily unavailable (os error 11)\nmore"),
      "resource temporarily unavailable",
    ],
    // Failed lookups, as Deno.connect and Deno.listen throw them: one wording for both.
    [new Error("failed to lookup address information: Name or service not known"), "unknown host"],
    [
      new Error("failed to lookup address information: Temporary failure in name resolution"),
      "unknown host",
    ],
    [
      new Error(
        "failed to lookup address information: nodename nor servname provided, or not known",
      ),
      "unknown host",
    ],
    [new URIError("invalid host 'a..b': empty label found in FQDN"), "invalid host name"],
  ];
  for (const [error, expected] of cases) assertEquals(describeNetError(error), expected);
});
