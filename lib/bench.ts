/** `tcpkit bench`: placeholder until the bench issue lands. */
import type { BenchOptions } from "./cli.ts";
import { RuntimeError } from "./errors.ts";

export function runBench(_options: BenchOptions): Promise<number> {
  return Promise.reject(new RuntimeError("bench is not built yet"));
}
