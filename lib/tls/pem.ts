/**
 * PEM text (RFC 7468): the labelled base64 blocks certificates and keys travel in.
 * Pure: splitting a file into blocks, decoding one, encoding DER as PEM.
 */

/** One `-----BEGIN LABEL-----` … `-----END LABEL-----` block. */
export interface PemBlock {
  /** e.g. `CERTIFICATE`, `PRIVATE KEY`, `EC PRIVATE KEY`. */
  label: string;
  /** The block as written, BEGIN and END lines included, with a final newline. */
  text: string;
  /** The decoded bytes (DER). */
  der: Uint8Array;
  /** Header lines such as `Proc-Type: 4,ENCRYPTED` (legacy OpenSSL encryption). */
  headers: string[];
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order; text between blocks is ignored. Throws on bad base64. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [whole, label, body] = match;
    const lines = body.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
    const headers = lines.filter((line) => line.includes(":"));
    const base64 = lines.filter((line) => !line.includes(":")).join("");
    blocks.push({ label, text: `${whole}\n`, der: decodeBase64(base64, label), headers });
  }
  return blocks;
}

function decodeBase64(base64: string, label: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw new RangeError(`the ${label} block is not valid base64`);
  }
  const binary = atob(base64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** DER bytes as a PEM block with 64-column base64 lines and a final newline. */
export function toPem(label: string, der: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    binary += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const base64 = btoa(binary);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
