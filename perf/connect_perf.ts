/**
 * `deno task perf:connect`: pipe throughput of `tcpkit connect` against `nc -N`
 * (Debian netcat-openbsd) in the same run, both sending the same 1 GiB of random bytes
 * into the reference C discard server on 127.0.0.1; then a 1 GiB round trip through
 * `tcpkit connect` and `tcpkit serve` (echo), checked with sha256. Loopback only.
 *
 * Env: PERF_BYTES (default 1 GiB), ROUNDS (default 3, alternating nc and tcpkit).
 */

import { writeAll } from "../lib/common/io.ts";
import { cliCommand, startServe } from "../tests/helpers.ts";
import { freePort, machine, median, referenceTools, waitForPort } from "./perf_common.ts";

const BYTES = Number(Deno.env.get("PERF_BYTES") ?? 1024 ** 3);
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 3);

async function sh(script: string, stderr: "inherit" | "piped" = "inherit") {
  const out = await new Deno.Command("sh", { args: ["-c", script], stderr }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  if (!out.success) {
    throw new Error(`failed: ${script}\n${stderr === "piped" ? text(out.stderr) : ""}`);
  }
  return stderr === "piped" ? text(out.stderr) : text(out.stdout);
}

async function writeRandomFile(path: string, bytes: number) {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(1024 * 1024);
  try {
    for (let written = 0; written < bytes; written += chunk.length) {
      for (let o = 0; o < chunk.length; o += 65536) {
        crypto.getRandomValues(chunk.subarray(o, o + 65536));
      }
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
      await writeAll(file, part);
    }
  } finally {
    file.close();
  }
}

/**
 * Runs a shell pipeline and returns its wall time in seconds. For tcpkit (run with
 * --verbose) it also checks from its summary line that every byte was sent.
 */
async function timed(script: string, checkSent = false): Promise<number> {
  const start = performance.now();
  const stderr = await sh(script, checkSent ? "piped" : "inherit");
  const seconds = (performance.now() - start) / 1000;
  if (checkSent) {
    const sent = Number(/sent (\d+) bytes/.exec(stderr)?.[1]);
    if (sent !== BYTES) throw new Error(`tcpkit sent ${sent} of ${BYTES} bytes:\n${stderr}`);
  }
  return seconds;
}

const mibPerS = (seconds: number) => BYTES / 1024 ** 2 / seconds;

const ref = await referenceTools();
const { command: deno, args: cliArgs } = cliCommand();
const tcpkit = [deno, ...cliArgs].join(" ");
const dir = await Deno.makeTempDir({ prefix: "tcpkit-perf-" });
const data = `${dir}/random.bin`;
const discardPort = freePort();
const discard = new Deno.Command(`${ref}/echo_server`, {
  args: [String(discardPort), "discard"],
  stdout: "null",
  stderr: "inherit",
}).spawn();
try {
  console.log(`machine: ${await machine()}`);
  console.log(`data: ${BYTES} random bytes in ${data}`);
  await writeRandomFile(data, BYTES);
  await waitForPort(discardPort);
  const ncCmd = `cat ${data} | nc -N 127.0.0.1 ${discardPort}`;
  const tcpkitCmd = `cat ${data} | ${tcpkit} connect --verbose 127.0.0.1:${discardPort}`;
  console.log(`nc:     ${ncCmd}`);
  console.log(`tcpkit: ${tcpkitCmd}`);
  const nc: number[] = [];
  const ours: number[] = [];
  await timed(`cat ${data} > /dev/null`); // page cache warm for both
  for (let round = 1; round <= ROUNDS; round++) {
    nc.push(await timed(ncCmd));
    ours.push(await timed(tcpkitCmd, true));
    console.log(
      `round ${round}: nc ${nc.at(-1)!.toFixed(2)}s (${mibPerS(nc.at(-1)!).toFixed(0)} MiB/s), ` +
        `tcpkit ${ours.at(-1)!.toFixed(2)}s (${mibPerS(ours.at(-1)!).toFixed(0)} MiB/s)`,
    );
  }
  const ratio = mibPerS(median(ours)) / mibPerS(median(nc));
  console.log(
    `median: nc ${mibPerS(median(nc)).toFixed(0)} MiB/s, tcpkit ${
      mibPerS(median(ours)).toFixed(0)
    } MiB/s, ratio tcpkit/nc ${ratio.toFixed(2)} (target >= 0.90: ${
      ratio >= 0.9 ? "met" : "NOT met"
    })`,
  );

  const echo = await startServe(["127.0.0.1:0", "--quiet"]);
  try {
    const roundTrip = `cat ${data} | ${tcpkit} connect ${echo.address} | sha256sum`;
    console.log(`round trip: ${roundTrip}`);
    const start = performance.now();
    const [got, want] = await Promise.all([sh(roundTrip), sh(`sha256sum < ${data}`)]);
    const seconds = (performance.now() - start) / 1000;
    const same = got.split(" ")[0] === want.split(" ")[0];
    console.log(
      `round trip via tcpkit serve: ${seconds.toFixed(2)}s, sha256 ${got.split(" ")[0]} ` +
        (same ? "identical" : `DIFFERS from ${want.split(" ")[0]}`),
    );
    if (!same) Deno.exitCode = 1;
  } finally {
    await echo.stop();
  }
} finally {
  discard.kill("SIGTERM");
  await discard.status;
  await Deno.remove(dir, { recursive: true });
}
