/** `tcpkit serve --stdio`: placeholder until the connect issue lands. */
import type { ServeOptions } from "./cli.ts";
import { RuntimeError } from "./errors.ts";

export function serveStdio(_options: ServeOptions): Promise<number> {
  return Promise.reject(new RuntimeError("serve --stdio is not built yet"));
}
