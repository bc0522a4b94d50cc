/**
 * `serve --tls` end to end: the generated certificate (saved, stable, checked by openssl),
 * `--tls-ephemeral`, `--cert/--key` in every key format, `--cert-out`, the listening line
 * and its connect command, every mode, `--stdio`, `--workers`, a unix socket, and
 * failed handshakes. The clients are `tcpkit connect --tls` and openssl.
 */

import { assert, assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { makeStaleSocket, randomBytes, runCli, sha256, spawnCli } from "./helpers.ts";
import {
  KEY_KINDS,
  needs,
  opensslCertificate,
  opensslFingerprint,
  run,
  startTlsServe,
  withTempDir,
} from "./tls_helpers.ts";

/** `tcpkit connect --tls --pin FP ADDRESS` with `stdin`; its result. */
function connectPinned(address: string, fingerprint: string, stdin: Uint8Array | string) {
  return runCli(["connect", "--tls", "--pin", `sha256:${fingerprint}`, address], { stdin });
}

Deno.test("serve --tls: a generated certificate, saved privately, keeps its fingerprint", async () => {
  await withTempDir(async (state) => {
    const first = await startTlsServe(state);
    let fingerprint: string;
    try {
      fingerprint = first.fingerprint;
      assertEquals(
        first.connectLine,
        `tcpkit connect --tls --pin sha256:${fingerprint} ${first.address}`,
      );
      const reply = await connectPinned(first.address, fingerprint, "hi\n");
      assertEquals([reply.code, reply.stdoutText, reply.stderr], [0, "hi\n", ""]);
    } finally {
      assertEquals(await first.stop(), 0);
    }
    const file = `${state}/tcpkit/tls/server.pem`;
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(`${state}/tcpkit/tls`)).mode! & 0o777, 0o700);
    const second = await startTlsServe(state);
    try {
      assertEquals(second.fingerprint, fingerprint);
    } finally {
      await second.stop();
    }
    const ephemeral = await startTlsServe(state, ["--tls-ephemeral"]);
    try {
      assertNotEquals(ephemeral.fingerprint, fingerprint);
      const reply = await connectPinned(ephemeral.address, ephemeral.fingerprint, "x");
      assertEquals(reply.stdoutText, "x");
    } finally {
      await ephemeral.stop();
    }
  });
});

Deno.test("serve --tls-ephemeral writes nothing to the state directory", async () => {
  await withTempDir(async (state) => {
    const server = await startTlsServe(state, ["--tls-ephemeral"]);
    await server.stop();
    assertEquals([...Deno.readDirSync(state)], []);
  });
});

Deno.test(needs(
  "serve --tls: the generated certificate passes openssl verify; --tls-name and --cert-out",
  ["openssl"],
  async () => {
    await withTempDir(async (dir) => {
      const out = `${dir}/server.crt`;
      const server = await startTlsServe(dir, [
        "--tls-name",
        "example.test",
        "--tls-name",
        "10.1.2.3",
        "--tls-name",
        "[fd00::1]",
        "--cert-out",
        out,
      ]);
      await server.stop();
      const text = (await run("openssl", ["x509", "-in", out, "-noout", "-text"])).stdoutText;
      assertMatch(text, /Signature Algorithm: ecdsa-with-SHA256/);
      assertMatch(text, /ASN1 OID: prime256v1/);
      assertMatch(text, /Basic Constraints: critical\s+CA:FALSE/);
      assertMatch(text, /Key Usage: critical\s+Digital Signature/);
      assertMatch(text, /Extended Key Usage: \s*TLS Web Server Authentication/);
      assertMatch(
        text,
        /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, DNS:example\.test, IP Address:10\.1\.2\.3, IP Address:FD00:0:0:0:0:0:0:1/,
      );
      const verify = await run("openssl", [
        "verify",
        "-x509_strict",
        "-purpose",
        "sslserver",
        "-CAfile",
        out,
        out,
      ]);
      assertEquals(verify.stdoutText, `${out}: OK\n`);
      assertEquals(await opensslFingerprint(out), server.fingerprint);
      // Other names, another saved certificate; the default one is untouched.
      const files = [...Deno.readDirSync(`${dir}/tcpkit/tls`)].map((e) => e.name);
      assertEquals(files.length, 1);
      assertMatch(files[0], /^server-[0-9a-f]{12}\.pem$/);
    });
  },
));

Deno.test(needs(
  "serve --cert/--key: PKCS#8, SEC1 and PKCS#1 keys, ECDSA, RSA and Ed25519",
  ["openssl"],
  async () => {
    await withTempDir(async (dir) => {
      for (const kind of KEY_KINDS) {
        const { cert, key, fingerprint } = await opensslCertificate(dir, kind);
        const server = await startTlsServe(dir, ["--cert", cert, "--key", key]);
        try {
          assertEquals(server.fingerprint, fingerprint, kind);
          const reply = await connectPinned(server.address, fingerprint, `${kind}\n`);
          assertEquals([reply.code, reply.stdoutText], [0, `${kind}\n`], reply.stderr);
        } finally {
          await server.stop();
        }
      }
    });
  },
));

Deno.test(needs(
  "serve --cert/--key: a bad key or certificate is one line, exit 1",
  ["openssl"],
  async () => {
    await withTempDir(async (dir) => {
      const ec = await opensslCertificate(dir, "ec-pkcs8");
      const rsa = await opensslCertificate(dir, "rsa-pkcs8");
      const encrypted = `${dir}/encrypted.key`;
      await run("openssl", [
        "pkcs8",
        "-topk8",
        "-in",
        ec.key,
        "-out",
        encrypted,
        "-passout",
        "pass:secret",
      ]);
      const cases: [string[], RegExp][] = [
        [["--cert", ec.cert, "--key", encrypted], /is encrypted; decrypt it first/],
        [["--cert", ec.cert, "--key", rsa.key], /is not the key of --cert/],
        [["--cert", `${dir}/missing.crt`, "--key", ec.key], /cannot read --cert ".*missing\.crt"/],
        [["--cert", ec.key, "--key", ec.key], /has no PEM certificate/],
        [["--cert", ec.cert, "--key", ec.cert], /has 0 private keys/],
      ];
      for (const [args, message] of cases) {
        const result = await runCli(["serve", ":0", "--tls", ...args], {
          env: { XDG_STATE_HOME: dir },
        });
        assertEquals(result.code, 1, result.stderr);
        assertMatch(result.stderr, message);
        assertEquals(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
      }
    });
  },
));

Deno.test("serve --tls: echo (5 MiB, byte-exact), discard and source", async () => {
  await withTempDir(async (state) => {
    const data = randomBytes(5 * 1024 * 1024);
    const echo = await startTlsServe(state);
    try {
      const reply = await connectPinned(echo.address, echo.fingerprint, data);
      assertEquals(reply.code, 0, reply.stderr);
      assertEquals(await sha256(reply.stdout), await sha256(data));
    } finally {
      await echo.stop();
    }
    const discard = await startTlsServe(state, ["--mode", "discard"]);
    try {
      const reply = await connectPinned(discard.address, discard.fingerprint, data);
      assertEquals([reply.code, reply.stdout.length], [0, 0]);
    } finally {
      await discard.stop();
    }
    assert(discard.stderr.lines.some((l) => / closed: client closed; in 5 MiB, out 0 B/.test(l)));
    const source = await startTlsServe(state, ["--mode", "source"]);
    try {
      const child = spawnCli([
        "connect",
        "--tls",
        "--pin",
        `sha256:${source.fingerprint}`,
        source.address,
      ]);
      const reader = child.stdout.getReader();
      const got: number[] = [];
      while (got.length < 1000) {
        const { value } = await reader.read();
        if (!value) break;
        got.push(...value.subarray(0, 1000 - got.length));
      }
      await reader.cancel();
      child.kill();
      await child.status;
      await child.stderr.cancel();
      assertEquals(got, Array.from({ length: 1000 }, (_, i) => i & 0xff));
    } finally {
      await source.stop();
    }
  });
});

Deno.test("serve --tls --workers 2, and over a unix socket (a stale one replaced, a file refused)", async () => {
  await withTempDir(async (state) => {
    const workers = await startTlsServe(state, ["--workers", "2"]);
    try {
      for (let i = 0; i < 4; i++) {
        const reply = await connectPinned(workers.address, workers.fingerprint, `w${i}`);
        assertEquals(reply.stdoutText, `w${i}`, reply.stderr);
      }
    } finally {
      await workers.stop();
    }
    // The path holds a stale socket (its server was killed): replaced, as without --tls.
    const path = `${state}/tls.sock`;
    await makeStaleSocket(path);
    const unix = await startTlsServe(state, [], `unix:${path}`);
    try {
      const reply = await connectPinned(`unix:${path}`, unix.fingerprint, "over unix");
      assertEquals(reply.stdoutText, "over unix", reply.stderr);
    } finally {
      await unix.stop();
    }
    // Anything else at the path is refused and left as it was.
    const file = `${state}/not-a-socket`;
    await Deno.writeTextFile(file, "keep me\n");
    const refused = await runCli(["serve", "--tls", `unix:${file}`], {
      env: { XDG_STATE_HOME: state },
    });
    assertEquals(refused.code, 1, refused.stderr);
    assertEquals(
      refused.stderr.trimEnd(),
      `tcpkit: cannot listen on "unix:${file}": a regular file is in the way; only a stale socket is replaced`,
    );
    assertEquals(await Deno.readTextFile(file), "keep me\n");
  });
});

Deno.test("serve --stdio --tls: both directions byte-exact", async () => {
  await withTempDir(async (state) => {
    const toClient = randomBytes(2 * 1024 * 1024);
    const toServer = randomBytes(3 * 1024 * 1024);
    const server = spawnCli(["serve", "--stdio", "--tls", "127.0.0.1:0"], {
      env: { XDG_STATE_HOME: state },
      stdin: true,
    });
    const { LineReader } = await import("./helpers.ts");
    const stderr = new LineReader(server.stderr);
    const serverOut = new Response(server.stdout).arrayBuffer();
    const [, address, fingerprint] = (await stderr.waitFor(
      /^listening on (\S+) \(stdio, one connection, tls sha256:([0-9a-f]{64})\)$/,
    ))!;
    await stderr.waitFor(/^connect with: tcpkit connect --tls --pin sha256:/);
    const feeding = (async () => {
      const writer = server.stdin.getWriter();
      await writer.write(toClient);
      await writer.close();
    })();
    const client = await connectPinned(address, fingerprint, toServer);
    await feeding;
    const status = await server.status;
    await stderr.done;
    assertEquals(client.code, 0, client.stderr);
    assertEquals(status.code, 0, stderr.text);
    assertEquals(await sha256(client.stdout), await sha256(toClient));
    assertEquals(await sha256(new Uint8Array(await serverOut)), await sha256(toServer));
  });
});

Deno.test("serve --tls: a client that fails its handshake is refused and logged", async () => {
  await withTempDir(async (state) => {
    const server = await startTlsServe(state);
    try {
      // Plain text where a ClientHello should be.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
      await conn.read(new Uint8Array(100)).catch(() => null);
      conn.close();
      await server.stderr.waitFor(/^refused 127\.0\.0\.1:\d+: TLS handshake: /);
      const reply = await connectPinned(server.address, server.fingerprint, "still up");
      assertEquals(reply.stdoutText, "still up");
    } finally {
      await server.stop();
    }
    assert(
      server.stderr.lines.some((l) => /^summary: 1 served, 1 refused/.test(l)),
      server.stderr.text,
    );
  });
});
