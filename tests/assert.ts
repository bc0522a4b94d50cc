/**
 * Assertions for tests, on top of node:assert/strict (the runtime's own standard;
 * jsr:@std/assert is not reachable from these machines).
 */

import assert from "node:assert/strict";

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

export function assert_(condition: unknown, message?: string): asserts condition {
  assert.ok(condition, message);
}
export { assert_ as assert };

export function assertMatch(actual: string, re: RegExp, message?: string): void {
  assert.match(actual, re, message);
}

/** Asserts `fn` throws an instance of `type` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  type: abstract new (...args: never[]) => Error,
  includes?: string,
  message?: string,
): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof type, `${message ?? ""}: expected ${type.name}, got ${error}`);
    if (includes !== undefined) {
      assert.ok(
        (error as Error).message.includes(includes),
        `${message ?? ""}: "${(error as Error).message}" does not include "${includes}"`,
      );
    }
    return error as Error;
  }
  assert.fail(`${message ?? ""}: expected ${type.name} to be thrown`);
}
