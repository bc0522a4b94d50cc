/** `tcpkit connect`: placeholder until the connect issue lands. */
import type { ConnectOptions } from "./cli.ts";
import { RuntimeError } from "./errors.ts";

export function runConnect(_options: ConnectOptions): Promise<number> {
  return Promise.reject(new RuntimeError("connect is not built yet"));
}
