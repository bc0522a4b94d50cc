/**
 * The certificate and key `serve --tls` presents, and the client CAs it asks for: read
 * from `--cert`/`--key` and checked (a PEM key of any common format, unencrypted, that
 * belongs to the certificate), or generated, saved in the state directory and reused,
 * or generated for this run only (`--tls-ephemeral`). Also `--cert-out` and
 * `--client-ca`. Runs once per server, in the main thread; Workers get the result.
 */

import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { RuntimeError } from "../common/errors.ts";
import { type CertifiedKey, generateCertificate } from "./cert.ts";
import { sha256Hex } from "./fingerprint.ts";
import { DEFAULT_TLS_NAMES, parseTlsName, type TlsName } from "./names.ts";
import type { TlsServeOptions } from "./options.ts";
import { type PemBlock, pemBlocks } from "./pem.ts";
import { certificateFile, readSaved, saveOnce, stateDirectory } from "./state.ts";

/** Everything a TLS listener needs; plain data, so it can be posted to Workers. */
export interface TlsServerCredentials {
  /** PEM certificate chain, leaf first. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** SHA-256 of the leaf certificate, 64 lowercase hex digits. */
  fingerprint: string;
  /** PEM CA certificates client certificates must chain to; undefined asks for none. */
  clientCa: string | undefined;
}

/** The credentials and what to tell the user about them. */
export interface LoadedCredentials {
  credentials: TlsServerCredentials;
  /** Lines worth a `warning:` (an expired certificate, a replaced saved one). */
  warnings: string[];
}

const KEY_LABELS = new Set(["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]);
const EXPIRY_MARGIN_MS = 86_400_000;

/** Loads or makes the server's credentials; failures are one-line RuntimeErrors. */
export async function loadServerCredentials(
  options: TlsServeOptions,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Promise<LoadedCredentials> {
  const warnings: string[] = [];
  let pair: CertifiedKey;
  if (options.certFile !== undefined) {
    pair = await readCertifiedKey(options.certFile, options.keyFile!, warnings);
  } else if (options.ephemeral) {
    pair = await generateCertificate(namesFor(options.names));
  } else {
    pair = await savedCertificate(options.names, env, warnings);
  }
  const leaf = certificates(pair.cert, "the certificate")[0];
  if (options.certOut !== undefined) await writeCertOut(options.certOut, pair.cert);
  const clientCa = options.clientCaFile === undefined
    ? undefined
    : certificates(await readText(options.clientCaFile, "--client-ca"), `"${options.clientCaFile}"`)
      .map((block) => block.text).join("");
  return {
    credentials: { ...pair, fingerprint: await sha256Hex(leaf.der), clientCa },
    warnings,
  };
}

/** localhost, 127.0.0.1, ::1, then the `--tls-name`s not among them. */
function namesFor(extra: readonly TlsName[]): TlsName[] {
  const names = DEFAULT_TLS_NAMES.map(parseTlsName);
  for (const name of extra) {
    if (!names.some((n) => n.type === name.type && n.value === name.value)) names.push(name);
  }
  return names;
}

async function savedCertificate(
  extra: readonly TlsName[],
  env: (name: string) => string | undefined,
  warnings: string[],
): Promise<CertifiedKey> {
  const path = await certificateFile(stateDirectory(env), extra);
  const text = await readSaved(path);
  if (text !== undefined) {
    const saved = parseSaved(path, text);
    if (new X509Certificate(saved.cert).validToDate.getTime() - Date.now() > EXPIRY_MARGIN_MS) {
      return saved;
    }
    warnings.push(`the saved certificate "${path}" expired; made a new one (new fingerprint)`);
    const fresh = await generateCertificate(namesFor(extra));
    await saveOnce(path, fresh.key + fresh.cert, true);
    return fresh;
  }
  const fresh = await generateCertificate(namesFor(extra));
  return parseSaved(path, await saveOnce(path, fresh.key + fresh.cert));
}

function parseSaved(path: string, text: string): CertifiedKey {
  try {
    const blocks = pemBlocks(text);
    const cert = blocks.find((b) => b.label === "CERTIFICATE");
    const key = blocks.find((b) => KEY_LABELS.has(b.label));
    if (!cert || !key) throw new Error("no certificate and key in it");
    const problem = keyProblem(cert.text, key.text);
    if (problem !== undefined) {
      throw new Error(problem === "mismatch" ? "key and certificate differ" : problem);
    }
    return { cert: cert.text, key: key.text };
  } catch (error) {
    throw new RuntimeError(
      `the saved certificate "${path}" is damaged (${(error as Error).message}); ` +
        "delete it to make a new one",
    );
  }
}

/**
 * A certificate chain and its key from PEM files, checked; `warnings` gets validity notes.
 * Errors name the files as `--cert`/`--key`, or with `prefix` (`--forward-cert`).
 */
export async function readCertifiedKey(
  certFile: string,
  keyFile: string,
  warnings: string[],
  prefix = "",
): Promise<CertifiedKey> {
  const [certFlag, keyFlag] = [`--${prefix}cert`, `--${prefix}key`];
  const chain = certificates(await readText(certFile, certFlag), `${certFlag} "${certFile}"`);
  const key = privateKey(await readText(keyFile, keyFlag), keyFile, keyFlag);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(chain[0].text);
  } catch (error) {
    throw new RuntimeError(
      `${certFlag} "${certFile}": not a valid certificate (${firstLine(error)})`,
    );
  }
  const problem = keyProblem(chain[0].text, key.text);
  if (problem !== undefined) {
    throw new RuntimeError(
      problem === "mismatch"
        ? `${keyFlag} "${keyFile}" is not the key of ${certFlag} "${certFile}"`
        : `${keyFlag} "${keyFile}" cannot be read: ${problem}`,
    );
  }
  if (x509.validToDate.getTime() < Date.now()) {
    warnings.push(`${certFlag} "${certFile}" expired on ${x509.validTo}; clients will refuse it`);
  } else if (x509.validFromDate.getTime() > Date.now()) {
    warnings.push(`${certFlag} "${certFile}" is not valid before ${x509.validFrom}`);
  }
  return { cert: chain.map((block) => block.text).join(""), key: key.text };
}

/**
 * Undefined if `keyPem` is the private key of `certPem`; else `mismatch`, or why the key
 * cannot be read.
 */
function keyProblem(certPem: string, keyPem: string): string | undefined {
  let publicDer: Uint8Array;
  try {
    publicDer = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  } catch (error) {
    return firstLine(error);
  }
  const certDer = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return equalBytes(publicDer, certDer) ? undefined : "mismatch";
}

function certificates(text: string, what: string): PemBlock[] {
  let blocks: PemBlock[];
  try {
    blocks = pemBlocks(text);
  } catch (error) {
    throw new RuntimeError(`${what}: ${firstLine(error)}`);
  }
  const certs = blocks.filter((block) => block.label === "CERTIFICATE");
  if (certs.length === 0) {
    throw new RuntimeError(
      `${what} has no PEM certificate (-----BEGIN CERTIFICATE-----)` +
        (text.startsWith("0") ? "; convert DER with openssl x509 -inform der" : ""),
    );
  }
  return certs;
}

function privateKey(text: string, keyFile: string, flag = "--key"): PemBlock {
  let blocks: PemBlock[];
  try {
    blocks = pemBlocks(text);
  } catch (error) {
    throw new RuntimeError(`${flag} "${keyFile}": ${firstLine(error)}`);
  }
  const encrypted = blocks.find((b) =>
    b.label === "ENCRYPTED PRIVATE KEY" || b.headers.some((h) => /ENCRYPTED/.test(h))
  );
  if (encrypted) {
    throw new RuntimeError(
      `${flag} "${keyFile}" is encrypted; decrypt it first: openssl pkey -in KEY -out PLAIN_KEY`,
    );
  }
  const keys = blocks.filter((b) => KEY_LABELS.has(b.label));
  if (keys.length !== 1) {
    const other = blocks.find((b) => !KEY_LABELS.has(b.label) && b.label.includes("PRIVATE KEY"));
    throw new RuntimeError(
      other
        ? `${flag} "${keyFile}": ${other.label} is not supported (PKCS#8, SEC1 or PKCS#1 PEM)`
        : `${flag} "${keyFile}" has ${keys.length} private keys; it needs exactly one (PEM)`,
    );
  }
  return keys[0];
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new RuntimeError(`cannot read ${flag} "${path}": ${firstLine(error).toLowerCase()}`);
  }
}

async function writeCertOut(path: string, cert: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, cert);
  } catch (error) {
    throw new RuntimeError(`cannot write --cert-out "${path}": ${firstLine(error).toLowerCase()}`);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].replace(/ \(os error \d+\)$/, "").replace(
    /: (readfile|open) .*$/,
    "",
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
