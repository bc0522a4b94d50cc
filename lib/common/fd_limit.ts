/**
 * The process's open-file limit and the connection budgets derived from it. Deno does
 * not raise `ulimit -n`, and accept() or connect() past the limit fails with EMFILE, so
 * the server keeps headroom below it for its own files, listeners and Workers, and bench
 * refuses up front a connection count that cannot fit.
 *
 * Deno only lets a fully privileged process read /proc/self/limits, so the limit is
 * asked of `sh -c 'ulimit -n'`, which inherits it (the one program tcpkit may run).
 */

/** File descriptors kept free for the runtime, listeners, logs and Workers. */
export const FD_HEADROOM = 64;

/** Descriptors one Worker thread holds for its own event loop (6 measured with Deno 2.9). */
export const FD_PER_THREAD = 8;

/**
 * Open files a `tcpkit bench` run needs: one per connection, two when the server's end
 * is in this process too (the embedded server), plus each Worker thread's own and
 * {@linkcode FD_HEADROOM}.
 */
export function benchOpenFiles(connections: number, bothEnds: boolean, threads: number): number {
  return connections * (bothEnds ? 2 : 1) + threads * FD_PER_THREAD + FD_HEADROOM;
}

/** Parses `ulimit -n` output: a number or `unlimited`; undefined otherwise. */
export function parseUlimitOutput(text: string): number | undefined {
  const value = text.trim();
  if (value === "unlimited") return Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** Connections the server can hold under `fdLimit` while keeping {@linkcode FD_HEADROOM}. */
export function connectionBudget(fdLimit: number): number {
  return Math.max(1, fdLimit - FD_HEADROOM);
}

/** The soft open-file limit of this process, or undefined where it cannot be read. */
export async function readOpenFileLimit(): Promise<number | undefined> {
  if (Deno.build.os === "windows") return undefined;
  try {
    const output = await new Deno.Command("sh", {
      args: ["-c", "ulimit -n"],
      stdin: "null",
      stderr: "null",
    }).output();
    return output.success ? parseUlimitOutput(new TextDecoder().decode(output.stdout)) : undefined;
  } catch {
    return undefined;
  }
}
