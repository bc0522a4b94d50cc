/**
 * Mutual TLS: `serve --tls --client-ca` requires client certificates issued by its CAs
 * and logs each client's subject and fingerprint; `connect --cert/--key` presents one, and
 * so does a relay's `--forward-cert/--forward-key`.
 * Certificates come from openssl: a test CA, a client it issued, and one from elsewhere.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { randomBytes, runCli, sha256, startServe } from "./helpers.ts";
import { roundTrip } from "./serve_helpers.ts";
import {
  needs,
  opensslFingerprint,
  opensslIssued,
  startTlsServe,
  withTempDir,
} from "./tls_helpers.ts";

/** A CA (`NAME-ca.crt`) and a client certificate it issued (`NAME.crt`, `NAME.key`). */
function clientCertificate(dir: string, name: string, subject: string) {
  return opensslIssued(dir, name, subject, [
    "basicConstraints=CA:FALSE",
    "extendedKeyUsage=clientAuth",
  ]);
}

Deno.test(
  needs(
    "serve --client-ca: a client certificate from its CA is required and logged",
    ["openssl"],
    async () => {
      await withTempDir(async (dir) => {
        const alice = await clientCertificate(dir, "alice", "/CN=alice/O=Example");
        const mallory = await clientCertificate(dir, "mallory", "/CN=mallory");
        const server = await startTlsServe(dir, ["--client-ca", alice.ca]);
        const pin = ["--pin", `sha256:${server.fingerprint}`];
        try {
          assertMatch(server.connectLine, /--cert CLIENT\.crt --key CLIENT\.key 127\.0\.0\.1:\d+$/);
          const ok = await runCli([
            "connect",
            "--tls",
            ...pin,
            "--cert",
            alice.cert,
            "--key",
            alice.key,
            server.address,
          ], { stdin: "mtls\n" });
          assertEquals([ok.code, ok.stdoutText, ok.stderr], [0, "mtls\n", ""]);
          const fp = await opensslFingerprint(alice.cert);
          await server.stderr.waitFor(
            new RegExp(
              `\\] 127\\.0\\.0\\.1:\\d+ connected \\(client CN=alice, O=Example sha256:${fp}\\)$`,
            ),
          );

          const none = await runCli(["connect", "--tls", ...pin, server.address], { stdin: "x\n" });
          assertEquals([none.code, none.stdoutText], [1, ""]);
          assertEquals(none.stderr.trimEnd().split("\n").length, 1, none.stderr);
          assertMatch(none.stderr, /client certificate/);

          const wrong = await runCli([
            "connect",
            "--tls",
            ...pin,
            "--cert",
            mallory.cert,
            "--key",
            mallory.key,
            server.address,
          ], { stdin: "x\n" });
          // Deno's server drops it without an alert: the client just sees the end.
          assertEquals(wrong.stdoutText, "");
          await server.stderr.waitFor(
            /: TLS handshake: the connection ended in the handshake \(a client certificate not issued by --client-ca\?\)$/,
          );
        } finally {
          await server.stop();
        }
        const refused = server.stderr.lines.filter((l) =>
          /^refused 127\.0\.0\.1:\d+: TLS handshake: /.test(l)
        );
        assertEquals(refused.length, 2, server.stderr.text);
        assert(
          server.stderr.lines.some((l) => /^summary: 1 served, 2 refused/.test(l)),
          server.stderr.text,
        );
      });
    },
  ),
);

Deno.test(
  needs(
    "openssl s_client presents a client certificate to serve --client-ca",
    ["openssl"],
    async () => {
      await withTempDir(async (dir) => {
        const alice = await clientCertificate(dir, "alice", "/CN=alice");
        const server = await startTlsServe(dir, ["--client-ca", alice.ca]);
        try {
          // s_client ends at its stdin's EOF: keep stdin open until the echo is back.
          const client = new Deno.Command("openssl", {
            args: [
              "s_client",
              "-connect",
              server.address,
              "-cert",
              alice.cert,
              "-key",
              alice.key,
              "-quiet",
              "-no_ign_eof",
            ],
            stdin: "piped",
            stdout: "piped",
            stderr: "null",
          }).spawn();
          const writer = client.stdin.getWriter();
          await writer.write(new TextEncoder().encode("hello\n"));
          const reader = client.stdout.pipeThrough(new TextDecoderStream()).getReader();
          let echoed = "";
          while (!echoed.includes("\n")) {
            const { value, done } = await reader.read();
            if (done) break;
            echoed += value;
          }
          await writer.close();
          while (!(await reader.read()).done) { /* drain until s_client exits */ }
          await client.status;
          assertEquals(echoed, "hello\n");
          await server.stderr.waitFor(/connected \(client CN=alice sha256:[0-9a-f]{64}\)$/);
        } finally {
          await server.stop();
        }
      });
    },
  ),
);

Deno.test(
  needs(
    "serve --forward-tls --forward-cert/--forward-key: the relay presents a client certificate to a --client-ca upstream",
    ["openssl"],
    async () => {
      await withTempDir(async (dir) => {
        const relayCert = await clientCertificate(dir, "relay", "/CN=relay/O=Example");
        const upstream = await startTlsServe(dir, ["--client-ca", relayCert.ca]);
        const toUpstream = [
          "--forward",
          upstream.address,
          "--forward-tls",
          "--forward-pin",
          `sha256:${upstream.fingerprint}`,
        ];
        const relay = await startServe([
          "127.0.0.1:0",
          ...toUpstream,
          "--forward-cert",
          relayCert.cert,
          "--forward-key",
          relayCert.key,
        ]);
        // The same relay without a certificate: the upstream refuses it, so each client ends.
        const bare = await startServe(["127.0.0.1:0", ...toUpstream]);
        try {
          const data = randomBytes(256 * 1024 + 9);
          assertEquals(await sha256(await roundTrip(relay.port, data)), await sha256(data));
          const fp = await opensslFingerprint(relayCert.cert);
          await upstream.stderr.waitFor(
            new RegExp(`connected \\(client CN=relay, O=Example sha256:${fp}\\)$`),
          );

          assertEquals((await roundTrip(bare.port, randomBytes(100))).length, 0);
          await upstream.stderr.waitFor(/^refused 127\.0\.0\.1:\d+: TLS handshake: /);
        } finally {
          assertEquals(await relay.stop(), 0);
          assertEquals(await bare.stop(), 0);
          await upstream.stop();
        }
      });
    },
  ),
);
