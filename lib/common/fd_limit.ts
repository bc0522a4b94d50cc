/**
 * The process's open-file limit and the connection budget derived from it. Deno does
 * not raise `ulimit -n`, and accept() past the limit fails with EMFILE, so the server
 * keeps headroom below it for its own files, listeners and Workers.
 *
 * Deno only lets a fully privileged process read /proc/self/limits, so the limit is
 * asked of `sh -c 'ulimit -n'`, which inherits it (the one program tcpkit may run).
 */

/** File descriptors kept free for the runtime, listeners, logs and Workers. */
export const FD_HEADROOM = 64;

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
