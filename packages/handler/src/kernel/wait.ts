/** Every wait in the kernel engine goes through here, so none can hang forever. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * Resolves or rejects like `promise`, or rejects with TimeoutError after `ms`. The original promise
 * keeps running; a late rejection of it is swallowed here, so giving up never leaves an unhandled one.
 */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
