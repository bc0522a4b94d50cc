/**
 * The typed view of one command's parsed flags that a command's options builder reads.
 * The CLI layer implements it from the declaration (defaults and limits applied, bad
 * values already usage errors); commands depend on this interface, never on the CLI.
 */

export interface FlagValues {
  /** Whether the user typed the flag (a declared default does not count). */
  given(name: string): boolean;
  bool(name: string): boolean;
  /** The last value given, or the declared default; never empty. */
  string(name: string): string | undefined;
  /** Every value of a repeatable flag, in order. */
  strings(name: string): string[];
  /** A `choice` flag's value, one of its declared choices. */
  choice(name: string): string;
  count(name: string): number | undefined;
  /** Milliseconds. */
  duration(name: string): number | undefined;
  /** Bytes. */
  size(name: string): number | undefined;
}
