/**
 * The heartbeat: ping the kernel's echo socket every interval, declare it dead after N misses.
 *
 * On Lambda the whole sandbox (Node and kernel) is frozen between invocations; at the thaw our
 * timer fires late and the kernel has not had a chance to answer the ping sent before the freeze.
 * So a miss counts only when the event loop provably ran for the whole interval: the tick came on
 * time (not more than half an interval late), and the decision waits one more turn of the loop
 * (setImmediate, after the poll phase) so an echo that is already in the socket is read first.
 */
import type { Dealer } from "zeromq";

export type TickVerdict = "alive" | "missed" | "skipped" | "dead";

/** The miss arithmetic, separated from sockets and timers so it can be tested with a fake clock. */
export class HeartbeatMissCounter {
  private lastTick: number;
  private misses = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly maxMisses: number,
    now: number,
    private readonly lateSlackMs = intervalMs / 2,
  ) {
    this.lastTick = now;
  }

  /** `answered`: an echo arrived since the previous tick. */
  tick(now: number, answered: boolean): TickVerdict {
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    if (answered) {
      this.misses = 0;
      return "alive";
    }
    // Late: the loop (or the whole sandbox) stood still for part of the interval, so silence
    // proves nothing. The count is kept, not reset: only an echo resets it.
    if (elapsed > this.intervalMs + this.lateSlackMs) return "skipped";
    this.misses++;
    return this.misses >= this.maxMisses ? "dead" : "missed";
  }

  get missCount(): number {
    return this.misses;
  }
}

export interface HeartbeatOptions {
  intervalMs: number;
  misses: number;
  onDead: (reason: string) => void;
  now?: () => number;
}

export class Heartbeat {
  private readonly counter: HeartbeatMissCounter;
  private readonly now: () => number;
  private answered = true;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sequence = 0;

  constructor(
    private readonly socket: Dealer,
    private readonly options: HeartbeatOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.counter = new HeartbeatMissCounter(options.intervalMs, options.misses, this.now());
    void this.receive();
    this.ping();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.onTimer(), this.options.intervalMs);
    this.timer.unref();
  }

  private onTimer(): void {
    if (this.stopped) return;
    const tickedAt = this.now();
    if (this.answered) {
      this.decide(tickedAt);
      return;
    }
    // Let the poll phase deliver an echo that is already waiting before counting a miss.
    setImmediate(() => this.decide(tickedAt));
  }

  private decide(tickedAt: number): void {
    if (this.stopped) return;
    const verdict = this.counter.tick(tickedAt, this.answered);
    if (verdict === "dead") {
      this.stop();
      this.options.onDead(
        `heartbeat lost: ${this.options.misses} pings in a row got no echo within ${this.options.intervalMs} ms`,
      );
      return;
    }
    this.answered = false;
    this.ping();
    this.schedule();
  }

  private ping(): void {
    this.sequence = (this.sequence + 1) | 0;
    // sendTimeout is 0 on this socket: when the queue is full the ping is dropped, never parked.
    this.socket.send(String(this.sequence)).catch(() => undefined);
  }

  private async receive(): Promise<void> {
    try {
      for await (const _echo of this.socket) {
        this.answered = true;
        if (this.stopped) return;
      }
    } catch {
      // Closed under us: the channel is going away.
    }
  }
}
