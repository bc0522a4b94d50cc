/**
 * When to colour output, and the few ANSI styles tcpkit uses. Colour goes only to a
 * terminal, never when NO_COLOR is set (https://no-color.org), and can be forced with
 * FORCE_COLOR (the Node.js/supports-color convention) for CI logs that render it.
 * `useColor` and `styles` are pure; `colorFor` reads the environment at the edge.
 */

/** What decides whether one output stream gets colour. */
export interface ColorContext {
  /** The stream is a terminal (`Deno.stderr.isTerminal()`). */
  isTerminal: boolean;
  /** Value of `NO_COLOR`, or undefined when unset. */
  noColor?: string;
  /** Value of `FORCE_COLOR`, or undefined when unset. */
  forceColor?: string;
}

/**
 * NO_COLOR set and non-empty: off. FORCE_COLOR "0" or "false": off; any other value
 * (even empty): on. Otherwise on only for a terminal.
 */
export function useColor({ isTerminal, noColor, forceColor }: ColorContext): boolean {
  if (noColor !== undefined && noColor !== "") return false;
  if (forceColor !== undefined) return forceColor !== "0" && forceColor !== "false";
  return isTerminal;
}

/** A text style: wraps its argument in escape codes, or returns it unchanged. */
export type Style = (text: string) => string;

/** The styles tcpkit uses; each one is the identity when `enabled` is false. */
export interface Styles {
  bold: Style;
  dim: Style;
  red: Style;
  green: Style;
  yellow: Style;
  cyan: Style;
}

const CODES: Record<keyof Styles, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Style functions that colour when `enabled` and pass text through otherwise. */
export function styles(enabled: boolean): Styles {
  const make = ([open, close]: [number, number]): Style =>
    enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
  return Object.fromEntries(
    Object.entries(CODES).map(([name, codes]) => [name, make(codes)]),
  ) as unknown as Styles;
}

/** Removes ANSI SGR escape codes, e.g. to measure the visible width of styled text. */
export function stripColor(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** The styles for one output stream, from its terminal state and the environment. */
export function colorFor(stream: { isTerminal(): boolean }): Styles {
  return styles(useColor({
    isTerminal: stream.isTerminal(),
    noColor: Deno.env.get("NO_COLOR"),
    forceColor: Deno.env.get("FORCE_COLOR"),
  }));
}
