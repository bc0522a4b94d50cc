/**
 * TLS interop both ways with the tools users would otherwise pick: openssl s_client and
 * s_server, ncat --ssl, and socat OPENSSL, including byte-exact multi-MiB transfers. The
 * tools are installed by .ci/test_tools.sh; under TCPKIT_TLS_TOOLS=required (CI) a missing
 * one fails these tests rather than skipping them.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { LineReader, randomBytes, runCli, sha256 } from "./helpers.ts";
import { needs, opensslCertificate, run, startTlsServe, withTempDir } from "./tls_helpers.ts";

const MiB = 1024 * 1024;

/** A spawned tool with its stderr read line by line. */
function spawnTool(command: string, args: string[], stdin: "piped" | "null" = "null") {
  const child = new Deno.Command(command, { args, stdin, stdout: "piped", stderr: "piped" })
    .spawn();
  const stdout = new Response(child.stdout).arrayBuffer().then((b) => new Uint8Array(b));
  return { child, stdout, stderr: new LineReader(child.stderr), piped: stdin === "piped" };
}

/** Stops a tool (if still running) and waits for it and its output. */
async function reap(tool: ReturnType<typeof spawnTool>) {
  if (tool.piped) await tool.child.stdin.close().catch(() => {});
  try {
    tool.child.kill("SIGKILL");
  } catch {
    // already gone
  }
  await tool.child.status;
  await tool.stdout;
  await tool.stderr.done;
}

/** Resolves once something accepts on `port` (a TCP probe, closed at once). */
async function waitForPort(port: number) {
  const { code, stderr } = await runCli(["connect", "-z", "--wait", "10s", `127.0.0.1:${port}`]);
  assertEquals(code, 0, stderr);
}

/** A port the OS picked (port 0) for a tool that cannot report its own. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test(
  needs(
    "openssl s_client verifies tcpkit serve --tls against --cert-out",
    ["openssl"],
    async () => {
      await withTempDir(async (dir) => {
        const ca = `${dir}/server.crt`;
        const server = await startTlsServe(dir, ["--cert-out", ca]);
        try {
          for (const name of ["localhost", "127.0.0.1"]) {
            const { stdoutText, stderr } = await run("openssl", [
              "s_client",
              "-connect",
              server.address,
              "-CAfile",
              ca,
              "-verify_return_error",
              ...(name === "localhost" ? ["-verify_hostname", name] : ["-verify_ip", name]),
              "-brief",
              "-no_ign_eof",
            ], { stdin: "" });
            const text = stdoutText + stderr;
            assertMatch(text, /Verification: OK/);
            assertMatch(text, /Protocol version: TLSv1\.3/);
          }
        } finally {
          await server.stop();
        }
      });
    },
  ),
);

Deno.test(
  needs("ncat --ssl and socat OPENSSL: 5 MiB byte-exact through tcpkit serve --tls", [
    "ncat",
    "socat",
  ], async () => {
    await withTempDir(async (dir) => {
      const ca = `${dir}/server.crt`;
      const data = randomBytes(5 * MiB);
      await Deno.writeFile(`${dir}/data.bin`, data);
      const server = await startTlsServe(dir, ["--cert-out", ca]);
      try {
        const [host, port] = [server.address.split(":")[0], String(server.port)];
        // ncat checks DNS names only, not IP addresses: it verifies "localhost".
        const ncat = await run("sh", [
          "-c",
          `ncat --ssl --ssl-verify --ssl-trustfile "${ca}" localhost ${port} < "${dir}/data.bin"`,
        ]);
        assertEquals(await sha256(ncat.stdout), await sha256(data), "ncat");
        const socat = await run("sh", [
          "-c",
          `socat -t 10 - "OPENSSL:${host}:${port},cafile=${ca}" < "${dir}/data.bin"`,
        ]);
        assertEquals(await sha256(socat.stdout), await sha256(data), "socat");
      } finally {
        await server.stop();
      }
      const closed = server.stderr.lines.filter((l) =>
        / closed: client closed; in 5 MiB, out 5 MiB/.test(l)
      );
      assertEquals(closed.length, 2, server.stderr.text);
    });
  }),
);

Deno.test(
  needs("tcpkit connect --tls to a socat OPENSSL-LISTEN echo: 6 MiB byte-exact", [
    "socat",
    "openssl",
  ], async () => {
    await withTempDir(async (dir) => {
      const { cert, key } = await opensslCertificate(dir, "ec-pkcs8");
      const socat = spawnTool("socat", [
        "-d",
        "-d",
        `OPENSSL-LISTEN:0,bind=127.0.0.1,cert=${cert},key=${key},verify=0`,
        "PIPE",
      ]);
      try {
        const [, port] = (await socat.stderr.waitFor(/listening on AF=2 127\.0\.0\.1:(\d+)/))!;
        const data = randomBytes(6 * MiB);
        const result = await runCli([
          "connect",
          "--tls",
          "--ca",
          cert,
          `127.0.0.1:${port}`,
        ], { stdin: data });
        assertEquals(result.code, 0, result.stderr);
        assertEquals(await sha256(result.stdout), await sha256(data));
      } finally {
        await reap(socat);
      }
    });
  }),
);

Deno.test(
  needs(
    "tcpkit connect --tls with ncat --ssl -l: 3 MiB each way, byte-exact",
    ["ncat", "openssl"],
    async () => {
      await withTempDir(async (dir) => {
        const { cert, key } = await opensslCertificate(dir, "ec-pkcs8");
        const toClient = randomBytes(3 * MiB);
        const toServer = randomBytes(3 * MiB + 17);
        await Deno.writeFile(`${dir}/to_client.bin`, toClient);
        const port = freePort();
        const ncat = spawnTool("sh", [
          "-c",
          `exec ncat -v --ssl --ssl-cert "${cert}" --ssl-key "${key}" -l 127.0.0.1 ${port} < "${dir}/to_client.bin"`,
        ]);
        try {
          await ncat.stderr.waitFor(/Listening on 127\.0\.0\.1:/);
          const result = await runCli([
            "connect",
            "--tls",
            "--ca",
            cert,
            `127.0.0.1:${port}`,
          ], { stdin: toServer });
          assertEquals(result.code, 0, result.stderr);
          assertEquals(await sha256(result.stdout), await sha256(toClient));
          await ncat.child.status;
          assertEquals(await sha256(await ncat.stdout), await sha256(toServer));
        } finally {
          await reap(ncat);
        }
      });
    },
  ),
);

Deno.test(
  needs(
    "tcpkit connect --tls to openssl s_server: ALPN and -v; data arrives intact",
    ["openssl"],
    async () => {
      await withTempDir(async (dir) => {
        const { cert, key, fingerprint } = await opensslCertificate(dir, "ec-pkcs8");
        // s_server prints its port on stdout, among the data: give it one.
        const port = freePort();
        const server = spawnTool("openssl", [
          "s_server",
          "-accept",
          `127.0.0.1:${port}`,
          "-cert",
          cert,
          "-key",
          key,
          "-alpn",
          "h2,http/1.1",
          "-naccept",
          "2", // waitForPort's probe, then tcpkit
          "-quiet",
        ], "piped"); // s_server ends a session at its stdin's EOF: keep stdin open
        try {
          await waitForPort(port);
          const data = randomBytes(2 * MiB);
          const result = await runCli([
            "connect",
            "--tls",
            "--pin",
            // As openssl prints it: upper case, colon-separated.
            fingerprint.toUpperCase().match(/../g)!.join(":"),
            "--alpn",
            "h2",
            "-v",
            `127.0.0.1:${port}`,
          ], { stdin: data });
          assertMatch(
            result.stderr,
            /tcpkit: TLS TLSv1\.3 TLS_\w+, ALPN h2, certificate sha256:[0-9a-f]{64} \(CN=ec-pkcs8\), pinned\n/,
          );
          const received = await server.stdout;
          assertEquals(await sha256(received), await sha256(data));
        } finally {
          await reap(server);
        }
      });
    },
  ),
);
