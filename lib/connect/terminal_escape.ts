/**
 * Makes bytes from the network safe to show on a terminal (pure, no I/O): printable
 * text and newlines pass through, control bytes and invalid UTF-8 become visible
 * escapes (`\e`, `\r`, `\x00`; a tab stays a tab), so a reply cannot move the cursor,
 * change colours or retitle the window.
 *
 * Only the C escapes that cannot be misread get names (`\a \b \v \f \r \e`); every
 * other byte is `\xNN`, two hex digits, as Python writes bytes. NUL is
 * `\x00`, not `\0`: before a digit, `\0` reads as an octal escape (`\012` is a newline).
 *
 * Stateful across chunks: a UTF-8 sequence or a CRLF split between two reads is
 * handled as if it had arrived whole.
 */

const NAMED: Record<number, string> = {
  0x07: "\\a",
  0x08: "\\b",
  0x0b: "\\v",
  0x0c: "\\f",
  0x0d: "\\r",
  0x1b: "\\e",
};

/** Escapes one chunk of bytes; keeps a split UTF-8 sequence or CR for the next chunk. */
export class TerminalEscaper {
  #pending: number[] = [];
  #whitespace: boolean;

  /**
   * @param options.visibleWhitespace show `\n`, `\r` and `\t` as escapes too (for
   * quoting bytes on one line). @default false
   */
  constructor(options: { visibleWhitespace?: boolean } = {}) {
    this.#whitespace = options.visibleWhitespace ?? false;
  }

  /** Returns the printable form of everything complete so far. */
  push(bytes: Uint8Array): string {
    const all = this.#pending.length === 0 ? bytes : concat(this.#pending, bytes);
    this.#pending = [];
    let out = "";
    let i = 0;
    while (i < all.length) {
      const b = all[i];
      if (this.#whitespace && (b === 0x0a || b === 0x0d || b === 0x09)) {
        out += b === 0x0a ? "\\n" : b === 0x0d ? "\\r" : "\\t";
        i++;
        continue;
      }
      if (b === 0x0d) {
        if (i + 1 === all.length) {
          this.#pending = [b]; // a CRLF may be split across chunks
          break;
        }
        if (all[i + 1] === 0x0a) {
          out += "\n"; // CRLF line protocols read as plain lines
          i += 2;
          continue;
        }
        out += NAMED[b];
        i++;
        continue;
      }
      if (b < 0x80) {
        out += escapeAscii(b);
        i++;
        continue;
      }
      const length = sequenceLength(b);
      if (length === 0) {
        out += hex(b);
        i++;
        continue;
      }
      if (i + length > all.length) {
        if (isValidPrefix(all.subarray(i))) {
          this.#pending = Array.from(all.subarray(i));
          break;
        }
        out += hex(b);
        i++;
        continue;
      }
      const char = decodeSequence(all.subarray(i, i + length));
      if (char === undefined) {
        out += hex(b);
        i++;
        continue;
      }
      out += isPrintableCodePoint(char.codePointAt(0)!)
        ? char
        : `\\u{${char.codePointAt(0)!.toString(16)}}`;
      i += length;
    }
    return out;
  }

  /** Escapes whatever is still held back (at end of stream). */
  flush(): string {
    const rest = this.#pending;
    this.#pending = [];
    return rest.map((b) => (b === 0x0d ? NAMED[b] : hex(b))).join("");
  }
}

/** Escapes a complete byte string in one go. */
export function escapeForTerminal(bytes: Uint8Array): string {
  const escaper = new TerminalEscaper();
  return escaper.push(bytes) + escaper.flush();
}

/** Escapes bytes for display on one line, newlines and tabs included: `hello\r\n`. */
export function escapeOneLine(bytes: Uint8Array): string {
  const escaper = new TerminalEscaper({ visibleWhitespace: true });
  return escaper.push(bytes) + escaper.flush();
}

function escapeAscii(b: number): string {
  if (b === 0x0a || b === 0x09) return String.fromCharCode(b);
  if (b < 0x20 || b === 0x7f) return NAMED[b] ?? hex(b);
  return String.fromCharCode(b);
}

function hex(b: number): string {
  return `\\x${b.toString(16).padStart(2, "0")}`;
}

function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

function decodeSequence(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function isValidPrefix(bytes: Uint8Array): boolean {
  for (let i = 1; i < bytes.length; i++) {
    if ((bytes[i] & 0xc0) !== 0x80) return false;
  }
  return true;
}

/** C1 controls, bidi overrides and similar invisible format characters are escaped. */
function isPrintableCodePoint(cp: number): boolean {
  if (cp >= 0x80 && cp <= 0x9f) return false;
  if (cp >= 0x202a && cp <= 0x202e) return false;
  if (cp >= 0x2066 && cp <= 0x2069) return false;
  if (cp === 0x200e || cp === 0x200f || cp === 0x061c || cp === 0xfeff) return false;
  return true;
}

function concat(head: number[], tail: Uint8Array): Uint8Array {
  const all = new Uint8Array(head.length + tail.length);
  all.set(head);
  all.set(tail, head.length);
  return all;
}
