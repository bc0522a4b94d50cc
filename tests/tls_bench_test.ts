/**
 * `bench --tls`: the embedded server over TLS in every mode, an external `serve --tls`
 * trusted by --pin or --ca, and an untrusted one refused before the run.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { runCli } from "./helpers.ts";
import { startTlsServe, withTempDir } from "./tls_helpers.ts";

const SHORT = ["--warmup", "0s", "-c", "4", "--workers", "1"];

Deno.test("bench --tls: the embedded server in echo, stream and connect modes", async () => {
  const echo = await runCli(["bench", "--tls", ...SHORT, "-n", "400", "--json"]);
  assertEquals(echo.code, 0, echo.stderr);
  const { spec, result } = JSON.parse(echo.stdoutText);
  assertEquals(spec.tls.trust, "verified");
  assertMatch(spec.tls.protocol, /^TLSv1\.[23]$/);
  assertMatch(spec.tls.certificate_sha256, /^[0-9a-f]{64}$/);
  assertEquals([result.messages, result.errors, result.mismatches], [400, 0, 0]);

  const stream = await runCli(["bench", "--tls", "--mode", "stream", ...SHORT, "-n", "50"]);
  assertEquals(stream.code, 0, stream.stderr);
  assertMatch(
    stream.stdoutText,
    /\n {2}TLS TLSv1\.\d \S+, certificate sha256:[0-9a-f]{64} \(verified\)\n/,
  );

  const connect = await runCli(["bench", "--tls", "--mode", "connect", ...SHORT, "-n", "40"]);
  assertEquals(connect.code, 0, connect.stderr);
  assertMatch(connect.stdoutText, /\n {2}handshakes\/s +\S+/);
  assertMatch(connect.stdoutText, /\n {2}handshake +\d/);
  assertMatch(connect.stdoutText, /No errors: every echoed byte matched/);
});

Deno.test("bench --tls against serve --tls: --pin and --ca; an untrusted server fails first", async () => {
  await withTempDir(async (state) => {
    const ca = `${state}/server.crt`;
    const server = await startTlsServe(state, ["--cert-out", ca, "-q"]);
    try {
      const pinned = await runCli([
        "bench",
        server.address,
        "--tls",
        "--pin",
        `sha256:${server.fingerprint}`,
        ...SHORT,
        "-n",
        "200",
        "--json",
      ]);
      assertEquals(pinned.code, 0, pinned.stderr);
      const { spec, result } = JSON.parse(pinned.stdoutText);
      assertEquals([spec.tls.trust, spec.tls.certificate_sha256], ["pinned", server.fingerprint]);
      assertEquals([result.messages, result.errors], [200, 0]);

      const viaCa = await runCli([
        "bench",
        server.address,
        "--tls",
        "--ca",
        ca,
        ...SHORT,
        "-n",
        "100",
      ]);
      assertEquals(viaCa.code, 0, viaCa.stderr);
      assertMatch(viaCa.stdoutText, /\(verified\)\n/);

      const untrusted = await runCli(["bench", server.address, "--tls", ...SHORT, "-n", "100"]);
      assertEquals([untrusted.code, untrusted.stdoutText], [1, ""]);
      assertMatch(
        untrusted.stderr,
        /^tcpkit: certificate of "127\.0\.0\.1:\d+" is not trusted \(self-signed\): sha256:[0-9a-f]{64}; trust it with --pin sha256:[0-9a-f]{64} or --ca FILE\n$/,
      );
    } finally {
      await server.stop();
    }
  });
});

Deno.test("bench --tls: trust flags without an ADDRESS are a usage error", async () => {
  const result = await runCli(["bench", "--tls", "-k", "-n", "1"]);
  assertEquals(result.code, 2);
  assertMatch(result.stderr, /--insecure is about an external server/);
});
