/**
 * Byte-I/O habits every edge needs, written once: write everything (a write may take
 * only part of a buffer), and close without fuss.
 */

/** Anything that writes like `Deno.stdout` or a conn. */
export interface ByteWriter {
  write(data: Uint8Array): Promise<number>;
}

/** Anything that writes synchronously like `Deno.stderr`. */
export interface SyncByteWriter {
  writeSync(data: Uint8Array): number;
}

/** Writes all of `data`; a write may take only part of it. */
export async function writeAll(to: ByteWriter, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await to.write(offset === 0 ? data : data.subarray(offset));
  }
}

/** Writes all of `data` with synchronous writes (whole lines from several Workers stay whole). */
export function writeAllSync(to: SyncByteWriter, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    offset += to.writeSync(offset === 0 ? data : data.subarray(offset));
  }
}

/** Closes a conn, listener or file that may already be closed. */
export function closeQuietly(resource: { close(): void } | undefined): void {
  try {
    resource?.close();
  } catch {
    // already closed
  }
}
