/**
 * Certificate fingerprints as tcpkit shows and pins them: `sha256:` and 64 lowercase hex
 * digits, the SHA-256 of the certificate's DER bytes (what `openssl x509 -fingerprint
 * -sha256` prints, without its colons). Parsing is pure; hashing uses WebCrypto.
 */

/** The prefix of every fingerprint tcpkit prints. */
export const FINGERPRINT_PREFIX = "sha256:";

/** `sha256:` and the hex digest. */
export function formatFingerprint(hex: string): string {
  return `${FINGERPRINT_PREFIX}${hex}`;
}

/** The SHA-256 of `der` as lowercase hex. */
export async function sha256Hex(der: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", der as Uint8Array<ArrayBuffer>);
  return hex(new Uint8Array(digest));
}

/** Bytes as lowercase hex. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A `--pin` value as 64 lowercase hex digits. Accepts `sha256:HEX`, bare HEX, any case,
 * with colons (openssl's `AB:CD:…`; its `sha256 Fingerprint=` prefix too). Throws a
 * RangeError naming the problem.
 */
export function parsePin(text: string): string {
  const body = text.trim()
    .replace(/^sha256 fingerprint=/i, "")
    .replace(/^sha-?256:/i, "")
    .replaceAll(":", "");
  if (/^[0-9a-f]+$/i.test(body) && body.length !== 64) {
    const hint = body.length === 40 ? " (that is a SHA-1 fingerprint)" : "";
    throw new RangeError(
      `"${text}" has ${body.length} hex digits; a SHA-256 fingerprint has 64${hint}`,
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(body)) {
    throw new RangeError(`"${text}" is not a SHA-256 fingerprint (sha256:64 hex digits)`);
  }
  return body.toLowerCase();
}
