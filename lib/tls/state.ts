/**
 * Where `serve --tls` keeps its generated certificate so the fingerprint clients pin
 * stays the same across restarts: `$XDG_STATE_HOME/tcpkit/tls/`, else
 * `~/.local/state/tcpkit/tls/` (`%LOCALAPPDATA%\tcpkit\tls\` on Windows). One file per
 * set of names holds the key and the certificate; it is private to the user (0600 in a
 * 0700 directory) and written once, atomically, so two servers starting together end up
 * with the same certificate.
 */

import { RuntimeError } from "../common/errors.ts";
import { sha256Hex } from "./fingerprint.ts";
import type { TlsName } from "./names.ts";

/** The state directory for tcpkit, from the environment; throws if there is none. */
export function stateDirectory(env: (name: string) => string | undefined): string {
  const xdg = env("XDG_STATE_HOME");
  if (xdg) return `${xdg}/tcpkit`;
  if (Deno.build.os === "windows") {
    const local = env("LOCALAPPDATA");
    if (local) return `${local}\\tcpkit`;
  }
  const home = env("HOME");
  if (home) return `${home}/.local/state/tcpkit`;
  throw new RuntimeError(
    "no state directory to keep the certificate in (set XDG_STATE_HOME or HOME), " +
      "or use --tls-ephemeral or --cert/--key",
  );
}

/**
 * The saved certificate's file for `extraNames` (the `--tls-name`s): `server.pem`
 * without any, else `server-<12 hex digits of their hash>.pem`.
 */
export async function certificateFile(
  dir: string,
  extraNames: readonly TlsName[],
): Promise<string> {
  if (extraNames.length === 0) return `${dir}/tls/server.pem`;
  const key = [...new Set(extraNames.map((n) => `${n.type}:${n.value}`))].sort().join("\n");
  const hash = await sha256Hex(new TextEncoder().encode(key));
  return `${dir}/tls/server-${hash.slice(0, 12)}.pem`;
}

/** The file's text, or undefined if it does not exist. */
export async function readSaved(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new RuntimeError(
      `cannot read the saved certificate "${path}": ${(error as Error).message}`,
    );
  }
}

/**
 * Saves `text` at `path` unless a file is already there (another server won the race):
 * written to a private temporary file, then linked into place. Resolves to the text now
 * at `path`. With `replace`, an existing file is replaced (an expired certificate).
 */
export async function saveOnce(path: string, text: string, replace = false): Promise<string> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${path}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(temp, text, { mode: 0o600, createNew: true });
    try {
      if (replace) {
        await Deno.rename(temp, path);
        return text;
      }
      await Deno.link(temp, path);
      return text;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return await Deno.readTextFile(path);
      throw error;
    } finally {
      await Deno.remove(temp).catch(() => {});
    }
  } catch (error) {
    throw new RuntimeError(
      `cannot save the certificate in "${path}": ${(error as Error).message.split("\n")[0]} ` +
        "(or use --tls-ephemeral)",
    );
  }
}
