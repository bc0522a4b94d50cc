/**
 * The bridge behind `connect` and `serve --stdio`, in process on a real loopback socket:
 * when the peer closes first, how long input that is still flowing is sent on.
 */

import { assert, assertEquals } from "@std/assert";
import { bridge, type ByteReader, PEER_EOF_GRACE_MS } from "../lib/common/pipe.ts";
import { sleep } from "../lib/common/time.ts";
import { readToEnd } from "./connect_helpers.ts";

/**
 * One run: the peer sends "x" and half-closes at once (like `serve --stdio` with an empty
 * stdin); the input then delivers a byte every 50 ms for a little longer than the grace
 * period and goes silent without EOF (a terminal, a slow producer). Returns how long after
 * the input's last byte the bridge ended, and what the peer received.
 */
async function gapAfterLastInput(): Promise<{ gapMs: number; received: string }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const peer = await accepted;
  listener.close();
  await peer.write(new TextEncoder().encode("x"));
  await peer.closeWrite();
  const received = readToEnd(peer);

  let peerDataAt: () => void = () => {};
  const peerData = new Promise<void>((resolve) => (peerDataAt = resolve));
  const output = {
    write(data: Uint8Array) {
      peerDataAt();
      return Promise.resolve(data.length);
    },
  };
  let lastInputMs = 0;
  let sends = 0;
  const input: ByteReader = {
    async read(buffer: Uint8Array) {
      if (sends === 0) {
        await peerData; // the peer's EOF follows its "x" at once
        await sleep(20);
      } else if (sends * 50 <= PEER_EOF_GRACE_MS + 20) {
        await sleep(50);
      } else {
        return await new Promise<null>(() => {}); // silent from now on, no EOF
      }
      sends++;
      buffer[0] = "a".charCodeAt(0);
      lastInputMs = performance.now();
      return 1;
    },
  };
  try {
    await bridge(conn, input, output);
    const gapMs = performance.now() - lastInputMs;
    conn.close();
    return { gapMs, received: new TextDecoder().decode(await received) };
  } finally {
    peer.close();
  }
}

Deno.test("bridge: after the peer's EOF, input is sent on until it is silent for the grace period", async () => {
  // Not a speed check: the gap must be the grace period, never less, and clearly less than
  // twice it (the old rule ended a fixed window later: up to 2 × 500 ms after the last byte).
  // The median of three runs rides out a scheduling hiccup on a busy machine.
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await gapAfterLastInput());
  for (const { gapMs, received } of runs) {
    assert(gapMs >= PEER_EOF_GRACE_MS, `ended ${gapMs.toFixed(0)} ms after the last input`);
    assertEquals(received, "a".repeat(received.length));
    assert(received.length >= 10, `only ${received.length} bytes sent on`);
  }
  const gaps = runs.map((run) => run.gapMs).sort((a, b) => a - b);
  assert(
    gaps[1] < PEER_EOF_GRACE_MS + 350,
    `ended ${gaps.map((g) => g.toFixed(0)).join(", ")} ms after the last input (median over ` +
      `${PEER_EOF_GRACE_MS + 350} ms)`,
  );
});
