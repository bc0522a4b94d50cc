/**
 * A self-signed ECDSA P-256 server certificate made with WebCrypto and der.ts: no
 * dependency, about a millisecond. It is an end-entity certificate (CA:FALSE, key usage
 * digitalSignature, extended key usage serverAuth) for the given names, so a client can
 * trust exactly it with `--ca` (the `--cert-out` file) or `--pin`.
 */

import {
  bitString,
  boolean,
  explicit,
  implicit,
  octetString,
  oid,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from "./der.ts";
import type { TlsName } from "./names.ts";
import { toPem } from "./pem.ts";

/** A certificate and its private key, PEM-encoded. */
export interface CertifiedKey {
  /** PEM `CERTIFICATE`. */
  cert: string;
  /** PEM `PRIVATE KEY` (PKCS #8). */
  key: string;
}

/** How long a generated certificate is valid: 825 days, the most Apple's TLS accepts. */
export const GENERATED_VALIDITY_DAYS = 825;

const DAY_MS = 86_400_000;
const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  serverAuth: "1.3.6.1.5.5.7.3.1",
};

/**
 * Generates a key pair and a self-signed certificate for `names` (at least one), valid
 * from an hour before `now` (clock skew) for `validityDays`.
 */
export async function generateCertificate(
  names: readonly TlsName[],
  now = new Date(),
  validityDays = GENERATED_VALIDITY_DAYS,
): Promise<CertifiedKey> {
  if (names.length === 0) throw new RangeError("a certificate needs at least one name");
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const publicKeyBits = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
  const keyId = new Uint8Array(await crypto.subtle.digest("SHA-1", publicKeyBits));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] & 0x7f) | 0x40; // positive, and 16 bytes long in DER
  const subject = sequence(
    set(sequence(oid(OID.organization), utf8String("tcpkit"))),
    set(sequence(oid(OID.commonName), utf8String(names[0].value))),
  );
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, unsignedInteger(2)), // v3
    unsignedInteger(serial),
    signatureAlgorithm,
    subject, // issuer: self-signed
    sequence(
      time(new Date(now.getTime() - 3_600_000)),
      time(new Date(now.getTime() + validityDays * DAY_MS)),
    ),
    subject,
    spki,
    explicit(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence()), // CA:FALSE
        extension(OID.keyUsage, true, bitString(Uint8Array.of(0x80), 7)), // digitalSignature
        extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
        extension(OID.subjectAltName, false, sequence(...names.map(generalName))),
        extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
      ),
    ),
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      keys.privateKey,
      tbs as Uint8Array<ArrayBuffer>,
    ),
  );
  const certificate = sequence(tbs, signatureAlgorithm, bitString(ecdsaSignatureDer(raw)));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { cert: toPem("CERTIFICATE", certificate), key: toPem("PRIVATE KEY", pkcs8) };
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

function generalName(name: TlsName): Uint8Array {
  return name.type === "ip"
    ? implicit(7, name.bytes) // iPAddress
    : implicit(2, new TextEncoder().encode(name.value)); // dNSName
}

/** WebCrypto's raw `r || s` signature as the DER `SEQUENCE { r INTEGER, s INTEGER }`. */
export function ecdsaSignatureDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}
