/**
 * Listening on a unix socket path without destroying what is there. `bind` fails on any
 * existing path, so a server that restarts after a crash must remove the socket file it
 * left behind; this module removes only that: a socket nobody accepts on (connecting is
 * refused). Anything else at the path (a regular file, a directory, a symbolic link,
 * whatever it points to, a socket a server is listening on) is refused and left untouched,
 * as ncat and socat do. The file type is read with lstat, so a symbolic link is never
 * followed.
 *
 * The socket file goes away when the listener is closed: Deno removes it then.
 */

import { describeNetError } from "../common/errors.ts";

/** Why a unix socket path cannot be listened on; the message completes `cannot listen on "…": `. */
export class UnixPathRefused extends Error {
  override name = "UnixPathRefused";
}

/**
 * Listens on `path`, first removing a stale socket file there, and sets the socket file's
 * mode to `mode` when given (permission bits, e.g. 0o600). Throws {@linkcode UnixPathRefused}
 * when the path holds anything else, or Deno's error when listening fails.
 */
export async function listenUnix(path: string, mode?: number): Promise<Deno.UnixListener> {
  await clearUnixPath(path);
  const listener = Deno.listen({ transport: "unix", path });
  if (mode !== undefined) await setSocketMode(listener, path, mode);
  return listener;
}

/**
 * Sets the mode of the socket file `listener` just made at `path`; on failure closes the
 * listener and throws {@linkcode UnixPathRefused}.
 */
export async function setSocketMode(
  listener: { close(): void },
  path: string,
  mode: number,
): Promise<void> {
  try {
    await Deno.chmod(path, mode);
  } catch (error) {
    listener.close();
    throw new UnixPathRefused(
      `cannot set its mode to ${formatMode(mode)}: ${describeNetError(error)}`,
    );
  }
}

/** `0o600` → `"0600"`, as `--unix-mode` and `ls -l` users read it. */
export function formatMode(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

/**
 * Makes `path` free to bind: nothing there, or a stale socket file, which is removed.
 * Throws {@linkcode UnixPathRefused} for anything else (for listeners not made by
 * {@linkcode listenUnix}, such as the TLS one).
 */
export async function clearUnixPath(path: string): Promise<void> {
  const found = await lstatOrUndefined(path);
  if (found === undefined) return;
  if (!found.isSocket) {
    throw new UnixPathRefused(`${kindOf(found)} is in the way; only a stale socket is replaced`);
  }
  try {
    (await Deno.connect({ transport: "unix", path })).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionRefused)) {
      throw new UnixPathRefused(
        `cannot tell whether a server is listening there: ${describeNetError(error)}`,
      );
    }
    // Refused: nobody accepts on it. Remove it only if it is still the same socket file.
    const now = await lstatOrUndefined(path);
    if (now === undefined) return;
    if (!now.isSocket || now.ino !== found.ino || now.dev !== found.dev) {
      throw new UnixPathRefused("the path changed while it was checked; try again");
    }
    await Deno.remove(path);
    return;
  }
  throw new UnixPathRefused("address already in use (a server is listening there)");
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UnixPathRefused(`cannot inspect the path: ${describeNetError(error)}`);
  }
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  if (info.isDirectory) return "a directory";
  if (info.isFile) return "a regular file";
  if (info.isFifo) return "a named pipe";
  if (info.isCharDevice || info.isBlockDevice) return "a device file";
  return "a file that is not a socket";
}
