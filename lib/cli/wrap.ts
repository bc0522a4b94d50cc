/**
 * Text layout for help: word wrap measured in terminal columns (`unicodeWidth`, so wide
 * and combining characters count as the terminal shows them), and two-column rows with
 * the text wrapped beside its label. Pure.
 */

import { unicodeWidth } from "@std/cli/unicode-width";

/**
 * The narrowest text column `columns` wraps to: on a terminal too small for the labels,
 * lines run long (the terminal folds them) rather than stack one word per line.
 */
const MIN_TEXT_COLUMNS = 24;

/**
 * Splits `text` at spaces into lines of at most `width` columns. A word wider than
 * `width` gets a line of its own and is never cut (paths and addresses stay whole).
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  let used = 0;
  for (const word of text.split(" ")) {
    if (word === "") continue;
    const wordWidth = unicodeWidth(word);
    if (line !== "" && used + 1 + wordWidth > width) {
      lines.push(line);
      line = "";
    }
    used = line === "" ? wordWidth : used + 1 + wordWidth;
    line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * Lays out (label, text) rows: `indent` spaces, the label padded to the widest label,
 * `gap` spaces, then the text wrapped to end by column `width`, its continuation lines
 * starting under the text column.
 */
export function columns(
  rows: readonly (readonly [label: string, text: string])[],
  width: number,
  indent = 2,
  gap = 2,
): string[] {
  const labelWidth = Math.max(0, ...rows.map(([label]) => unicodeWidth(label)));
  const textColumn = indent + labelWidth + gap;
  const textWidth = Math.max(width - textColumn, MIN_TEXT_COLUMNS);
  return rows.flatMap(([label, text]) => {
    const [first = "", ...more] = wrap(text, textWidth);
    const padding = " ".repeat(labelWidth - unicodeWidth(label) + gap);
    const head = `${" ".repeat(indent)}${label}${padding}${first}`.trimEnd();
    return [head, ...more.map((line) => `${" ".repeat(textColumn)}${line}`)];
  });
}
