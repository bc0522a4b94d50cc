/**
 * The open-loop clock of `tcpkit bench --rate`: one thread that wakes the client Workers
 * when their next message is due. Deno's timers fire 1 to 2 ms late (a `setTimeout` of
 * 0 takes about 2 ms here), which would add that much to every open-loop latency; a
 * thread blocked in `Atomics.wait` wakes within tens of microseconds, and its
 * `Atomics.notify` reaches a Worker's `Atomics.waitAsync` in about 0.2 ms.
 *
 * Everything goes through one SharedArrayBuffer: per client Worker a target time
 * (absolute ms, `performance.timeOrigin + performance.now()`, the same in every thread),
 * the target that fired last and a fired counter; a sequence cell the clock sleeps on;
 * a quit cell. A Worker arms its target ({@linkcode ClockAlarm.arm}); the clock fires
 * each target once, when its time has come. Targets only move forward, so the clock is
 * woken only when it may be asleep without a target of that Worker (nothing armed, or
 * the armed one already fired); a target moved later meanwhile costs the clock one
 * wake-up that finds nothing to do. Every arm bumps the sequence, so a clock between two
 * waits looks again instead of sleeping on a stale view.
 */

/** Int32 cells at the start of the buffer: the sequence the clock waits on, quit, Workers. */
const SEQ = 0;
const QUIT = 1;
const COUNT = 2;
const HEADER_BYTES = 16;
/** The clock re-reads every target at least this often (a safety net, not the pacing). */
const MAX_SLEEP_MS = 100;

interface ClockViews {
  cells: Int32Array;
  /** Per Worker: how many times its target fired (what the Worker waits on). */
  fired: Int32Array;
  /** Per Worker: the armed target, absolute ms; Infinity when disarmed. */
  targets: Float64Array;
  /** Per Worker: the target that fired last (written by the clock). */
  firedAt: Float64Array;
  count: number;
}

/** Bytes of the fired counters, rounded up so the targets that follow are 8-aligned. */
function firedBytes(count: number): number {
  return Math.ceil(count / 2) * 8;
}

function views(buffer: SharedArrayBuffer): ClockViews {
  const cells = new Int32Array(buffer, 0, 3);
  const count = cells[COUNT];
  return {
    cells,
    fired: new Int32Array(buffer, HEADER_BYTES, count),
    targets: new Float64Array(buffer, HEADER_BYTES + firedBytes(count), count),
    firedAt: new Float64Array(buffer, HEADER_BYTES + firedBytes(count) + 8 * count, count),
    count,
  };
}

/** The shared buffer for a clock serving `workers` client Workers, every target disarmed. */
export function clockBuffer(workers: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(
    HEADER_BYTES + firedBytes(workers) + 24 * workers + 64 + 8 * 64,
  );
  new Int32Array(buffer, 0, 3)[COUNT] = workers;
  const v = views(buffer);
  v.targets.fill(Infinity);
  v.firedAt.fill(NaN);
  return buffer;
}

/** The absolute time every thread agrees on, in milliseconds. */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Runs the clock until {@linkcode stopClock}: blocks its thread (a Worker's) in
 * `Atomics.wait`, so it must never run on a thread that has other work.
 */
export function runClock(buffer: SharedArrayBuffer): void {
  const { cells, fired, targets, firedAt, count } = views(buffer);
  while (Atomics.load(cells, QUIT) === 0) {
    const seq = Atomics.load(cells, SEQ);
    const now = absoluteNow();
    let next = Infinity;
    for (let i = 0; i < count; i++) {
      const target = targets[i];
      if (target === firedAt[i] || target === Infinity) continue;
      if (target <= now) {
        firedAt[i] = target;
        Atomics.add(fired, i, 1);
        Atomics.notify(fired, i);
      } else if (target < next) {
        next = target;
      }
    }
    Atomics.wait(cells, SEQ, seq, Math.min(next - now, MAX_SLEEP_MS));
  }
}

/** Makes {@linkcode runClock} return. */
export function stopClock(buffer: SharedArrayBuffer): void {
  const { cells } = views(buffer);
  Atomics.store(cells, QUIT, 1);
  Atomics.add(cells, SEQ, 1);
  Atomics.notify(cells, SEQ);
}

/** One client Worker's side of the clock: arm a time, get called back once it has come. */
export class ClockAlarm {
  readonly #cells: Int32Array;
  readonly #fired: Int32Array;
  readonly #targets: Float64Array;
  readonly #firedAt: Float64Array;
  readonly #index: number;
  /** The target last written, local time (performance.now()), and as written. */
  #armed = Infinity;
  #armedAbsolute = Infinity;
  #stopped = false;

  constructor(buffer: SharedArrayBuffer, index: number) {
    const v = views(buffer);
    this.#cells = v.cells;
    this.#fired = v.fired;
    this.#targets = v.targets;
    this.#firedAt = v.firedAt;
    this.#index = index;
  }

  /**
   * Asks to be woken at `localMs` (this thread's performance.now() time). The clock is
   * woken (a system call) only when it may be asleep without a target for this Worker
   * at or before the new one: nothing armed yet, an earlier target, or the armed target
   * already fired. Otherwise it finds the new target when it wakes for the old one.
   */
  arm(localMs: number): void {
    if (this.#stopped || localMs === this.#armed) return;
    const target = performance.timeOrigin + localMs;
    this.#targets[this.#index] = target;
    Atomics.add(this.#cells, SEQ, 1);
    // Read after the bump: a clock that fires the old target after this read started
    // its pass before the bump, so its wait sees the bump and it looks again.
    if (this.#firedAt[this.#index] === this.#armedAbsolute || localMs < this.#armed) {
      Atomics.notify(this.#cells, SEQ);
    }
    this.#armed = localMs;
    this.#armedAbsolute = target;
  }

  /**
   * Calls `onFire` each time the clock fires this Worker's target, until stopped, with
   * the time that fired (local). The clock judged that time passed: the Worker takes its
   * word for it, since two threads may read the time a few microseconds apart.
   */
  async listen(onFire: (firedMs: number) => void): Promise<void> {
    let seen = Atomics.load(this.#fired, this.#index);
    while (!this.#stopped) {
      const wait = Atomics.waitAsync(this.#fired, this.#index, seen);
      if (wait.async) await wait.value;
      if (this.#stopped) return;
      // Read before handling: a fire while handling must end the next wait at once.
      seen = Atomics.load(this.#fired, this.#index);
      const firedAt = this.#firedAt[this.#index];
      // The armed target exactly, when it is the one that fired (no rounding through
      // the absolute time).
      onFire(firedAt === this.#armedAbsolute ? this.#armed : firedAt - performance.timeOrigin);
    }
  }

  /** Disarms and ends {@linkcode listen}. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#targets[this.#index] = Infinity;
    this.#armed = Infinity;
    Atomics.add(this.#fired, this.#index, 1);
    Atomics.notify(this.#fired, this.#index);
  }
}
