import { KernelBusyError } from "./errors.js";

/**
 * Calls of one kernel run strictly one after another, in arrival order, so each gets exactly its
 * own output. The queue is bounded: a flood of calls is refused at once instead of piling up.
 */
export class KernelQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly limit: number) {}

  /** Calls waiting to start (not counting the one running). */
  get size(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.limit) {
      return Promise.reject(
        new KernelBusyError(
          `${this.waiting} calls are already waiting for this kernel; wait for them (or call interrupt_kernel) and try again.`,
        ),
      );
    }
    this.waiting += 1;
    const run = this.tail.then(() => {
      this.waiting -= 1;
      return task();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
