/**
 * `serve --forward` with TLS on either side, end to end on loopback: `--tls` terminates
 * TLS from clients, `--forward-tls` originates it to a `serve --tls` upstream (pinned, or
 * trusted through `--forward-ca`), both at once; an untrusted upstream ends each pair with
 * its fingerprint in the log while the relay goes on; unreadable trust files stop start-up.
 */

import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { randomBytes, runCli, sha256, startServe } from "./helpers.ts";
import { roundTrip } from "./serve_helpers.ts";
import { startTlsServe, withTempDir } from "./tls_helpers.ts";

/** A `serve --tls --tls-ephemeral` echo upstream with its certificate written to `dir`. */
function tlsUpstream(dir: string) {
  return startTlsServe(dir, ["--tls-ephemeral", "--cert-out", `${dir}/upstream.crt`, "--quiet"]);
}

Deno.test("forward --forward-tls: plain client -> relay -> pinned TLS upstream, byte-exact with half-close", async () => {
  await withTempDir(async (dir) => {
    const upstream = await tlsUpstream(dir);
    const relay = await startServe([
      "127.0.0.1:0",
      "--forward",
      upstream.address,
      "--forward-tls",
      "--forward-pin",
      `sha256:${upstream.fingerprint}`,
    ]);
    try {
      const payloads = [randomBytes(1), randomBytes(3 * 1024 * 1024 + 17), randomBytes(70_001)];
      const echoed = await Promise.all(payloads.map((p) => roundTrip(relay.port, p)));
      for (let i = 0; i < payloads.length; i++) {
        assertEquals(await sha256(echoed[i]), await sha256(payloads[i]), `client ${i}`);
      }
      await relay.stderr.waitFor(/^\[#3\] .* closed: /);
    } finally {
      assertEquals(await relay.stop(), 0);
      assertEquals(await upstream.stop(), 0);
    }
    assertMatch(relay.stderr.text, /closed: (client|upstream) closed; in 3 MiB, out 3 MiB/);
  });
});

Deno.test("forward --tls: TLS client -> relay (terminates TLS) -> plain upstream", async () => {
  await withTempDir(async (dir) => {
    const upstream = await startServe(["127.0.0.1:0", "--quiet"]);
    const relay = await startTlsServe(dir, ["--tls-ephemeral", "--forward", upstream.address]);
    try {
      const data = randomBytes(2 * 1024 * 1024 + 5);
      const reply = await runCli(
        ["connect", "--tls", "--pin", `sha256:${relay.fingerprint}`, relay.address],
        { stdin: data },
      );
      assertEquals([reply.code, reply.stderr], [0, ""]);
      assertEquals(await sha256(reply.stdout), await sha256(data));
      await relay.stderr.waitFor(/^\[#1\] .* closed: /);
    } finally {
      assertEquals(await relay.stop(), 0);
      assertEquals(await upstream.stop(), 0);
    }
    assertMatch(relay.stderr.text, /\[#1\] 127\.0\.0\.1:\d+ connected, forwarding to 127\.0\.0\.1/);
  });
});

Deno.test("forward --tls --forward-tls: TLS both sides, the upstream trusted through --forward-ca", async () => {
  await withTempDir(async (dir) => {
    const upstream = await tlsUpstream(dir);
    const relay = await startTlsServe(dir, [
      "--tls-ephemeral",
      "--forward",
      // The certificate names 127.0.0.1 and localhost: verified by name, not pinned.
      `localhost:${upstream.port}`,
      "--forward-tls",
      "--forward-ca",
      `${dir}/upstream.crt`,
    ]);
    try {
      const data = randomBytes(1024 * 1024 + 3);
      const reply = await runCli(
        ["connect", "--tls", "--pin", `sha256:${relay.fingerprint}`, relay.address],
        { stdin: data },
      );
      assertEquals([reply.code, reply.stderr], [0, ""]);
      assertEquals(await sha256(reply.stdout), await sha256(data));
    } finally {
      assertEquals(await relay.stop(), 0);
      assertEquals(await upstream.stop(), 0);
    }
  });
});

Deno.test("forward --forward-tls: an untrusted upstream closes each client, logged with its fingerprint; the relay goes on", async () => {
  await withTempDir(async (dir) => {
    const upstream = await tlsUpstream(dir);
    const wrongPin = `sha256:${"ab".repeat(32)}`;
    const unverified = await startServe([
      "127.0.0.1:0",
      "--forward",
      upstream.address,
      "--forward-tls",
    ]);
    const pinned = await startServe([
      "127.0.0.1:0",
      "--forward",
      upstream.address,
      "--forward-tls",
      "--forward-pin",
      wrongPin,
      "--log",
      "json",
    ]);
    try {
      for (let i = 0; i < 2; i++) {
        assertEquals((await roundTrip(unverified.port, randomBytes(100))).length, 0);
      }
      assertEquals((await roundTrip(pinned.port, randomBytes(100))).length, 0);
      const line = await unverified.stderr.waitFor(/^\[#2\] .* closed: (.*)$/);
      assertStringIncludes(line[1], "upstream untrusted (certificate of ");
      assertStringIncludes(
        line[1],
        `is not trusted (self-signed): sha256:${upstream.fingerprint}`,
      );
      assertStringIncludes(line[1], "--forward-pin sha256:");
      assertStringIncludes(line[1], "or --forward-ca FILE");
      const json = await pinned.stderr.waitFor(/^\{.*"event":"close".*\}$/);
      const close = JSON.parse(json[0]);
      assertEquals(close.reason, "upstream untrusted");
      assertStringIncludes(
        close.error,
        `is sha256:${upstream.fingerprint}, not the pinned ${wrongPin}`,
      );
    } finally {
      assertEquals(await unverified.stop(), 0);
      assertEquals(await pinned.stop(), 0);
      assertEquals(await upstream.stop(), 0);
    }
    assertMatch(unverified.stderr.text, /summary: 2 served/);
  });
});

Deno.test("forward --forward-tls: --forward-insecure relays with a warning at start", async () => {
  await withTempDir(async (dir) => {
    const upstream = await tlsUpstream(dir);
    const relay = await startServe([
      "127.0.0.1:0",
      "--forward",
      upstream.address,
      "--forward-tls",
      "--forward-insecure",
    ]);
    try {
      const data = randomBytes(10_000);
      assertEquals(await roundTrip(relay.port, data), data);
    } finally {
      assertEquals(await relay.stop(), 0);
      assertEquals(await upstream.stop(), 0);
    }
    assertMatch(
      relay.stderr.text,
      /warning: not verifying 127\.0\.0\.1:\d+ \(--forward-insecure\)/,
    );
  });
});

Deno.test("forward --forward-tls: a trust flag without --forward-tls is a usage error, exit 2", async () => {
  const result = await runCli(["serve", "--forward", "127.0.0.1:9", "--forward-ca", "ca.pem"]);
  assertEquals(result.code, 2);
  assertMatch(
    result.stderr,
    /^tcpkit: --forward-ca needs --forward-tls \(see 'tcpkit serve --help'\)\n$/,
  );
});

Deno.test("forward --forward-tls: unreadable trust files stop start-up with one line, exit 1", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/empty.pem`, "nothing here\n");
    const cases: [string[], string][] = [
      [["--forward-ca", `${dir}/missing.pem`], `cannot read --forward-ca "${dir}/missing.pem"`],
      [["--forward-ca", `${dir}/empty.pem`], `--forward-ca "${dir}/empty.pem" has no PEM`],
      [
        ["--forward-cert", `${dir}/missing.crt`, "--forward-key", `${dir}/missing.key`],
        `cannot read --forward-cert "${dir}/missing.crt"`,
      ],
    ];
    for (const [flags, message] of cases) {
      const result = await runCli([
        "serve",
        "127.0.0.1:0",
        "--forward",
        "127.0.0.1:9",
        "--forward-tls",
        ...flags,
      ]);
      assertEquals(result.code, 1, flags.join(" "));
      assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
      assertStringIncludes(result.stderr, message);
    }
  });
});
