/**
 * Waits that always end. Built on `new Promise` with handlers attached to `work` straight away, so
 * a loser of the race never becomes an unhandled rejection.
 */
export interface BoundOptions {
  timeoutMs?: number;
  onTimeout?: () => Error;
  signal?: AbortSignal;
  onAbort?: () => Error;
}

export function bounded<T>(work: Promise<T>, options: BoundOptions): Promise<T> {
  const { timeoutMs, signal } = options;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => finish(() => reject(options.onAbort?.() ?? new Error("aborted")));
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    };
    work.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
    if (timeoutMs !== undefined) {
      timer = setTimeout(
        () => finish(() => reject(options.onTimeout?.() ?? new Error(`no answer within ${timeoutMs} ms`))),
        timeoutMs,
      );
    }
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves after `ms` without holding the process open. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
