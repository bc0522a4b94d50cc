/** Two byte-I/O habits every socket edge needs: write everything, close without fuss. */

/** Anything that writes like `Deno.stdout` or a conn. */
export interface ByteWriter {
  write(data: Uint8Array): Promise<number>;
}

/** Writes all of `data`; a write may take only part of it. */
export async function writeAll(to: ByteWriter, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await to.write(offset === 0 ? data : data.subarray(offset));
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
