/**
 * Helpers for the TLS tests: a private state directory per test (the generated
 * certificate never lands in the real one), the external tools the interop tests talk
 * to (openssl, ncat, socat), and certificates made with openssl in every key format.
 *
 * `.ci/run` sets TCPKIT_TLS_TOOLS=required (and .ci/test_tools.sh installs the tools):
 * there a missing tool fails its tests instead of skipping them.
 */

import { assert } from "@std/assert";
import { type ServeProcess, startServe } from "./helpers.ts";

/** Whether the tests that need `tool` must run (CI) even if it is missing. */
const REQUIRED = Deno.env.get("TCPKIT_TLS_TOOLS") === "required";

function have(tool: string): boolean {
  try {
    const { success } = new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success;
  } catch {
    return false;
  }
}

/** The tools among `tools` that are missing here. */
export function missingTools(...tools: string[]): string[] {
  return tools.filter((tool) => !have(tool));
}

/**
 * `Deno.test` options for a test that needs `tools`: ignored (with the reason in its
 * name) where they are missing, except under TCPKIT_TLS_TOOLS=required, where it fails.
 */
export function needs(name: string, tools: string[], fn: () => Promise<void>): Deno.TestDefinition {
  const missing = missingTools(...tools);
  return {
    name: missing.length ? `${name} (no ${missing.join(", ")} here)` : name,
    ignore: missing.length > 0 && !REQUIRED,
    fn: missing.length > 0
      ? () => {
        throw new Error(`missing ${missing.join(", ")} (run .ci/test_tools.sh)`);
      }
      : fn,
  };
}

/** A temporary directory, removed after `fn`. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "tcpkit_tls_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs a command to completion; throws with its stderr unless it exits 0. */
export async function run(
  command: string,
  args: string[],
  options: { stdin?: Uint8Array | string; cwd?: string } = {},
): Promise<{ stdout: Uint8Array; stdoutText: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const feeding = (async () => {
    if (options.stdin === undefined) return;
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    ).catch(() => {});
    await writer.close().catch(() => {});
  })();
  const [output] = await Promise.all([child.output(), feeding]);
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed: ${stderr}`);
  return { stdout: output.stdout, stdoutText: new TextDecoder().decode(output.stdout), stderr };
}

/** The key types `--cert/--key` take, as openssl writes them. */
export const KEY_KINDS = ["ec-pkcs8", "ec-sec1", "rsa-pkcs1", "rsa-pkcs8", "ed25519"] as const;
export type KeyKind = typeof KEY_KINDS[number];

/**
 * A self-signed server certificate for localhost and 127.0.0.1 with a key of `kind`,
 * written to `dir`; resolves to the files and the certificate's SHA-256 fingerprint.
 */
export async function opensslCertificate(
  dir: string,
  kind: KeyKind,
): Promise<{ cert: string; key: string; fingerprint: string }> {
  const key = `${dir}/${kind}.key`;
  const cert = `${dir}/${kind}.crt`;
  const gen = {
    "ec-pkcs8": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec-sec1": ["ecparam", "-name", "prime256v1", "-genkey", "-noout"],
    "rsa-pkcs1": ["genrsa", "-traditional"],
    "rsa-pkcs8": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ed25519": ["genpkey", "-algorithm", "ed25519"],
  }[kind];
  await run("openssl", [...gen, "-out", key, ...(kind === "rsa-pkcs1" ? ["2048"] : [])]);
  await run("openssl", [
    "req",
    "-x509",
    "-key",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${kind}`,
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  return { cert, key, fingerprint: await opensslFingerprint(cert) };
}

/** openssl's arguments for a new P-256 key, unencrypted. */
const NEW_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/**
 * A test CA (`NAME-ca.crt`) and a certificate it issued (`NAME.crt`, `NAME.key`) for
 * `subject`, with the X.509v3 `extensions` (config lines), all written to `dir`.
 */
export async function opensslIssued(
  dir: string,
  name: string,
  subject: string,
  extensions: string[],
): Promise<{ ca: string; cert: string; key: string }> {
  const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
  await openssl([
    "req",
    "-x509",
    ...NEW_EC_KEY,
    "-keyout",
    `${name}-ca.key`,
    "-out",
    `${name}-ca.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${name} CA`,
  ]);
  await openssl([
    "req",
    ...NEW_EC_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subject,
  ]);
  await Deno.writeTextFile(`${dir}/${name}.cnf`, extensions.map((e) => `${e}\n`).join(""));
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${name}-ca.crt`,
    "-CAkey",
    `${name}-ca.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.cnf`,
  ]);
  return { ca: `${dir}/${name}-ca.crt`, cert: `${dir}/${name}.crt`, key: `${dir}/${name}.key` };
}

/** `openssl x509 -fingerprint -sha256` as 64 lowercase hex digits. */
export async function opensslFingerprint(certFile: string): Promise<string> {
  const { stdoutText } = await run("openssl", [
    "x509",
    "-in",
    certFile,
    "-noout",
    "-fingerprint",
    "-sha256",
  ]);
  return stdoutText.trim().replace(/^.*=/, "").replaceAll(":", "").toLowerCase();
}

/** `tcpkit serve --tls ARGS` with its own state directory; the fingerprint it shows. */
export async function startTlsServe(
  stateDir: string,
  args: string[] = [],
  address = "127.0.0.1:0",
): Promise<ServeProcess & { fingerprint: string; connectLine: string }> {
  const server = await startServe([address, "--tls", ...args], {
    XDG_STATE_HOME: stateDir,
  });
  const match = await server.stderr.waitFor(/, tls sha256:([0-9a-f]{64})\)$/);
  const connect = await server.stderr.waitFor(/^connect with: (.*)$/);
  assert(match && connect);
  return { ...server, fingerprint: match[1], connectLine: connect[1] };
}
