/**
 * Deprecated: colour lives in format.ts (`colorFor`, `styles`, on `@std/fmt/colors`).
 * This re-export stays only until lib/bench/bench.ts imports `colorFor` from format.ts;
 * then delete this file.
 */

export { colorFor } from "./format.ts";
