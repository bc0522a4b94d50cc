/**
 * `connect --tls` end to end against `tcpkit serve --tls`: verification against --ca and
 * its names, --pin (checked before any byte is sent), --insecure's warning, -v, -z, and
 * the one-line failures. "Nothing sent" is read from the server's log (`in 0 B`).
 */

import { assertEquals, assertMatch } from "@std/assert";
import { runCli, startServe } from "./helpers.ts";
import { needs, opensslIssued, startTlsServe, withTempDir } from "./tls_helpers.ts";

/** The server's `closed:` log lines so far. */
const closedLines = (server: { stderr: { lines: string[] } }) =>
  server.stderr.lines.filter((line) => / closed: /.test(line));

Deno.test("connect --tls: an untrusted server is one line with its fingerprint, nothing sent", async () => {
  await withTempDir(async (state) => {
    const server = await startTlsServe(state);
    try {
      const result = await runCli(["connect", "--tls", server.address], { stdin: "secret\n" });
      assertEquals([result.code, result.stdoutText], [1, ""]);
      const fp = `sha256:${server.fingerprint}`;
      assertEquals(
        result.stderr,
        `tcpkit: certificate of "${server.address}" is not trusted (self-signed): ${fp}; ` +
          `trust it with --pin ${fp} or --ca FILE\n`,
      );
      await server.stderr.waitFor(/closed: client closed; in 0 B, out 0 B/);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("connect --tls --pin: that certificate only, checked before a byte is sent", async () => {
  await withTempDir(async (state) => {
    const server = await startTlsServe(state);
    const fp = server.fingerprint;
    const other = "0".repeat(64);
    try {
      const colons = fp.toUpperCase().match(/../g)!.join(":");
      for (const pin of [`sha256:${fp}`, colons]) {
        const ok = await runCli(["connect", "--tls", "--pin", pin, server.address], {
          stdin: "pinned\n",
        });
        assertEquals([ok.code, ok.stdoutText, ok.stderr], [0, "pinned\n", ""]);
      }
      const bad = await runCli(["connect", "--tls", "--pin", `sha256:${other}`, server.address], {
        stdin: "secret\n",
      });
      assertEquals([bad.code, bad.stdoutText], [1, ""]);
      assertEquals(
        bad.stderr,
        `tcpkit: certificate of "${server.address}" is sha256:${fp}, not the pinned sha256:${other}\n`,
      );
      await server.stderr.waitFor(/closed: client closed; in 0 B, out 0 B/);
    } finally {
      await server.stop();
    }
    const closed = closedLines(server);
    assertEquals(closed.length, 3, server.stderr.text);
    assertMatch(closed[2], /in 0 B, out 0 B/);
  });
});

Deno.test("connect --tls -k: no verification, a warning naming the certificate", async () => {
  await withTempDir(async (state) => {
    const server = await startTlsServe(state);
    try {
      const result = await runCli(["connect", "--tls", "-k", server.address], { stdin: "hi" });
      assertEquals([result.code, result.stdoutText], [0, "hi"]);
      assertEquals(
        result.stderr,
        `tcpkit: warning: not verifying "${server.address}" (--insecure); its certificate is ` +
          `sha256:${server.fingerprint} (CN=localhost, O=tcpkit)\n`,
      );
    } finally {
      await server.stop();
    }
  });
});

Deno.test("connect --tls --ca: verified by name; -v shows protocol, cipher, ALPN, fingerprint", async () => {
  await withTempDir(async (state) => {
    const ca = `${state}/server.crt`;
    const server = await startTlsServe(state, ["--cert-out", ca, "--tls-name", "example.test"]);
    try {
      const fp = server.fingerprint;
      for (const target of [server.address, `localhost:${server.port}`]) {
        const ok = await runCli(["connect", "--tls", "--ca", ca, "-v", target], { stdin: "v" });
        assertEquals([ok.code, ok.stdoutText], [0, "v"], ok.stderr);
        assertMatch(
          ok.stderr,
          new RegExp(
            `^tcpkit: connected to .*\\ntcpkit: TLS TLSv1\\.3 TLS_\\w+, ALPN none, ` +
              `certificate sha256:${fp} \\(CN=localhost, O=tcpkit\\), verified\\n` +
              `tcpkit: sent 1 bytes?, received 1 bytes? in `,
          ),
        );
      }
      const named = await runCli(
        ["connect", "--tls", "--ca", ca, "--servername", "example.test", server.address],
        { stdin: "n" },
      );
      assertEquals([named.code, named.stdoutText], [0, "n"], named.stderr);
      const wrong = await runCli(
        ["connect", "--tls", "--ca", ca, "--servername", "example.org", server.address],
        { stdin: "n" },
      );
      assertEquals(wrong.code, 1);
      assertMatch(
        wrong.stderr,
        /^tcpkit: certificate of ".*" is not trusted \(not issued for "example\.org"; see --servername\): sha256:[0-9a-f]{64}; trust it with --pin sha256:[0-9a-f]{64}\n$/,
      );
    } finally {
      await server.stop();
    }
  });
});

Deno.test(
  needs("connect --tls --ca: a certificate issued by a private CA", ["openssl"], async () => {
    await withTempDir(async (dir) => {
      const leaf = await opensslIssued(dir, "leaf", "/CN=leaf", [
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "basicConstraints=CA:FALSE",
      ]);
      const server = await startTlsServe(dir, [
        "--cert",
        leaf.cert,
        "--key",
        leaf.key,
      ]);
      try {
        const ok = await runCli(["connect", "--tls", "--ca", leaf.ca, server.address], {
          stdin: "ca",
        });
        assertEquals([ok.code, ok.stdoutText, ok.stderr], [0, "ca", ""]);
        const unknown = await runCli(["connect", "--tls", server.address], { stdin: "ca" });
        assertEquals(unknown.code, 1);
        assertMatch(unknown.stderr, /is not trusted \(issued by an unknown CA\)/);
      } finally {
        await server.stop();
      }
    });
  }),
);

Deno.test("connect -z --tls: open means a trusted handshake", async () => {
  await withTempDir(async (state) => {
    const server = await startTlsServe(state);
    const plain = await startServe();
    try {
      const pinned = await runCli([
        "connect",
        "-z",
        "--tls",
        "--pin",
        `sha256:${server.fingerprint}`,
        server.address,
      ]);
      assertEquals([pinned.code, pinned.stdoutText, pinned.stderr], [0, "", ""]);
      const several = await runCli(["connect", "-z", "--tls", server.address, plain.address]);
      assertEquals(several.code, 1);
      const lines = several.stdoutText.trimEnd().split("\n");
      assertMatch(
        lines[0],
        /^127\.0\.0\.1:\d+ closed \(certificate is not trusted \(self-signed\): sha256:/,
      );
      assertMatch(lines[1], /^127\.0\.0\.1:\d+ closed \(TLS handshake with ".*" failed: /);
    } finally {
      await server.stop();
      await plain.stop();
    }
  });
});

Deno.test("connect --tls to a plain TCP server: one line, exit 1", async () => {
  const plain = await startServe();
  try {
    const result = await runCli(["connect", "--tls", "-k", plain.address], { stdin: "x" });
    assertEquals(result.code, 1);
    assertMatch(result.stderr, /^tcpkit: TLS handshake with "127\.0\.0\.1:\d+" failed: [^\n]+\n$/);
  } finally {
    await plain.stop();
  }
});

Deno.test("connect --tls with SSLKEYLOGFILE: the session keys are written (Deno's own TLS)", async () => {
  await withTempDir(async (state) => {
    const ca = `${state}/server.crt`;
    const keys = `${state}/keys.log`;
    const server = await startTlsServe(state, ["--cert-out", ca]);
    try {
      const result = await runCli([
        "connect",
        "--tls",
        "--ca",
        ca,
        "-v",
        `localhost:${server.port}`,
      ], {
        stdin: "logged\n",
        env: { SSLKEYLOGFILE: keys },
      });
      assertEquals([result.code, result.stdoutText], [0, "logged\n"], result.stderr);
      assertMatch(
        result.stderr,
        /tcpkit: TLS TLS \(not reported by Deno's TLS, used for SSLKEYLOGFILE\), ALPN none, certificate not shown, verified\n/,
      );
      const log = await Deno.readTextFile(keys);
      assertMatch(log, /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{96}$/m);
      assertMatch(log, /^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]{96}$/m);
      // --pin needs tcpkit's node:tls, which logs no keys: the connection still works.
      await Deno.remove(keys);
      const pinned = await runCli([
        "connect",
        "--tls",
        "--pin",
        `sha256:${server.fingerprint}`,
        server.address,
      ], {
        stdin: "pinned\n",
        env: { SSLKEYLOGFILE: keys },
      });
      assertEquals([pinned.code, pinned.stdoutText], [0, "pinned\n"], pinned.stderr);
    } finally {
      await server.stop();
    }
  });
});
