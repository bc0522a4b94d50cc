/**
 * The open-loop schedule of one client Worker (`tcpkit bench --rate`). Each connection
 * has its own schedule: message k of a connection with phase p (in [0, 1)) is due at
 * `start + (k + p) / rate`, and its latency is measured from that time whenever it
 * actually leaves, so a late send (a full pipeline, a busy client, a stalled server)
 * shows in the percentiles (coordinated omission, corrected as wrk2 does). The phases
 * spread the connections evenly over one interval, so the messages of all connections
 * together leave at a steady rate.
 *
 * The pacer walks the Worker's merged schedule, (k, connection) in order of due time,
 * and asks each connection to send everything due when its turn passes, at most once
 * per {@linkcode QUANTUM_MS}. It is polled after every batch of replies (a busy Worker
 * sends on time without any timer), by the clock thread (clock.ts) at the next due time
 * when the Worker is otherwise idle, and by a backstop timer: Deno's timers fire 1 to
 * 2 ms late, but on a machine short of cores the clock thread itself may wait longer
 * than that for a core.
 */

import type { ClockAlarm } from "./clock.ts";

/**
 * Shortest time between two sends of the schedule. Each send is a turn of the client's
 * event loop (and of the server's): at 20k messages a second, sending each one on its
 * exact due time took client and server together about 1.7 times the CPU of 1 ms
 * batches, and with this quantum 1.4 to 1.6 times. A send waits at most this long for
 * messages due just after it, so below 5000 messages a second per Worker every message
 * still leaves on its own time, and above, at most 0.2 ms late.
 */
export const QUANTUM_MS = 0.2;

/** What the pacer asks of a connection. */
export interface Paced {
  /** Sends the connection's messages due at or before `now` (local ms), pipeline allowing. */
  release(now: number): void;
}

/** The merged schedule of one Worker's open-loop connections. */
export class Pacer {
  readonly #conns: Paced[];
  readonly #phases: number[];
  readonly #intervalMs: number;
  readonly #alarm: ClockAlarm;
  #startMs = 0;
  /** Cursor into the merged schedule: message `#k` of connection `#i`. */
  #k = 0;
  #i = 0;
  /** When the cursor's message is due (local ms); Infinity when stopped. */
  #next = Infinity;
  #backstop: ReturnType<typeof setTimeout> | undefined;
  /** When the next poll may send: the next due time, at least a quantum after the last. */
  #wakeAt = Infinity;

  /**
   * `phases` (one per connection, ascending, in [0, 1)) shift each connection's
   * schedule by that fraction of `intervalMs`, the time between two messages of one
   * connection.
   */
  constructor(conns: Paced[], phases: number[], intervalMs: number, alarm: ClockAlarm) {
    this.#conns = conns;
    this.#phases = phases;
    this.#intervalMs = intervalMs;
    this.#alarm = alarm;
  }

  /** Starts the schedule at `startMs` (local ms) and sends what is already due. */
  start(startMs: number): void {
    this.#startMs = startMs;
    this.#k = 0;
    this.#i = 0;
    this.#next = this.#wakeAt = this.#due();
    this.#alarm.listen((firedMs) => this.poll(Math.max(performance.now(), firedMs)));
    this.poll(performance.now());
  }

  /** Sends every message due by `now` (local ms) and arms the clock for the next one. */
  poll(now: number): void {
    if (now < this.#wakeAt) return;
    const conns = this.#conns;
    if (now - this.#next >= this.#intervalMs) {
      // A whole round behind (a rate the connections cannot keep up with, or a busy
      // client): each connection sends all it is due at once; the cursor jumps ahead.
      for (const conn of conns) conn.release(now);
      this.#seek(now);
    }
    while (this.#next <= now) {
      conns[this.#i].release(now);
      if (++this.#i === conns.length) {
        this.#i = 0;
        this.#k++;
      }
      this.#next = this.#due();
    }
    this.#wakeAt = Math.max(this.#next, now + QUANTUM_MS);
    this.#alarm.arm(this.#wakeAt);
    this.#setBackstop();
  }

  /** Ends the schedule: no more wake-ups. */
  stop(): void {
    this.#next = this.#wakeAt = Infinity;
    this.#alarm.stop();
    clearTimeout(this.#backstop);
    this.#backstop = undefined;
  }

  /**
   * Makes sure a timer will poll at or soon after the next due time. One timer at a
   * time: while the schedule runs ahead of it, it fires early, polls and is set again,
   * so a busy schedule costs a timer every millisecond or two, not one per message.
   */
  #setBackstop() {
    if (this.#backstop !== undefined || this.#wakeAt === Infinity) return;
    const delayMs = Math.max(0, Math.ceil(this.#wakeAt - performance.now()));
    this.#backstop = setTimeout(() => {
      this.#backstop = undefined;
      this.poll(performance.now());
      this.#setBackstop();
    }, delayMs);
  }

  /** Moves the cursor to the first message due after `now`. */
  #seek(now: number) {
    this.#k = Math.max(0, Math.floor((now - this.#startMs) / this.#intervalMs));
    this.#i = this.#phases.findIndex((phase) =>
      this.#startMs + (this.#k + phase) * this.#intervalMs > now
    );
    if (this.#i < 0) {
      this.#i = 0;
      this.#k++;
    }
    this.#next = this.#due();
  }

  /** Due time of the cursor's message, computed afresh so that errors never accumulate. */
  #due(): number {
    return this.#startMs + (this.#k + this.#phases[this.#i]) * this.#intervalMs;
  }
}
