import { LeaseLostError, VersionConflictError } from "./lease-errors.js";
import { ConditionFailed, type LeaseTable } from "./lease-table.js";
import type { Lease } from "./lease.js";

/**
 * One held lease (its heartbeat, commit and release) and the per-caller turns that keep a
 * process's own calls of one caller apart. SessionLeases (lease.ts) is the way in.
 */

/** A checkpoint pointer is at most this much JSON: it names a checkpoint, it is not one. */
const MAX_CHECKPOINT_JSON = 16 * 1024;

export interface LeaseContext<P extends object> {
  table(): LeaseTable;
  owner(): string;
  leaseMs(): number;
  now(): number;
  ttlAt(now: number): number;
  log(message: string, fields?: Record<string, unknown>): void;
  released(lease: HeldLease<P>): void;
}

export class HeldLease<P extends object> implements Lease<P> {
  private state: "held" | "lost" | "released" = "held";
  private heartbeat: NodeJS.Timeout | undefined;
  /** Renewals, commits and the release run one at a time, so none overtakes another on the wire. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly context: LeaseContext<P>,
    readonly caller: string,
    private storedVersion: number,
    private pointer: P | undefined,
  ) {
    this.scheduleHeartbeat();
  }

  get version(): number {
    return this.storedVersion;
  }

  get checkpoint(): P | undefined {
    return this.pointer;
  }

  get lost(): boolean {
    return this.state === "lost";
  }

  renew(): Promise<void> {
    return this.serially(async () => {
      this.assertUsable("renew");
      try {
        await this.context
          .table()
          .renew(this.caller, this.context.owner(), this.context.now() + this.context.leaseMs());
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
        this.markLost("renew");
        throw new LeaseLostError(this.caller);
      }
    });
  }

  commit(next: { version: number; checkpoint: P }): Promise<void> {
    const checkpointJson = JSON.stringify(next.checkpoint);
    if (typeof next.checkpoint !== "object" || next.checkpoint === null || Array.isArray(next.checkpoint)) {
      return Promise.reject(new TypeError("a checkpoint pointer must be a JSON object"));
    }
    if (checkpointJson.length > MAX_CHECKPOINT_JSON) {
      return Promise.reject(
        new RangeError(`a checkpoint pointer must be at most ${MAX_CHECKPOINT_JSON} characters of JSON`),
      );
    }
    return this.serially(async () => {
      this.assertUsable("commit");
      const expected = this.storedVersion;
      if (!Number.isSafeInteger(next.version) || next.version <= expected) {
        throw new RangeError(`a commit's version must be an integer above ${expected}, not ${next.version}`);
      }
      const table = this.context.table();
      const owner = this.context.owner();
      const now = this.context.now();
      const write = {
        expected,
        next: next.version,
        checkpointJson,
        now,
        until: now + this.context.leaseMs(),
        ttl: this.context.ttlAt(now),
      };
      try {
        await table.commit(this.caller, owner, write);
      } catch (err) {
        if (err instanceof ConditionFailed) {
          const stored = err.item ?? (await table.read(this.caller, "commit"));
          // The SDK retries a write whose answer was lost; the retry then fails against our own write.
          const ours =
            stored?.owner === owner &&
            stored.version === next.version &&
            stored.checkpointJson === checkpointJson;
          if (ours) {
            this.storedVersion = next.version;
            this.pointer = next.checkpoint;
            return;
          }
          if (stored?.owner !== owner) {
            this.markLost("commit");
            throw new LeaseLostError(this.caller);
          }
          throw new VersionConflictError(this.caller, expected, stored.version);
        }
        // A timed-out write may still have landed; one read tells, so a retry does not conflict with itself.
        const landed = await table.read(this.caller, "commit").catch(() => undefined);
        const recorded =
          landed?.owner === owner &&
          landed.version === next.version &&
          landed.checkpointJson === checkpointJson;
        if (!recorded) throw err;
      }
      this.storedVersion = next.version;
      this.pointer = next.checkpoint;
    });
  }

  release(): Promise<void> {
    return this.serially(async () => {
      if (this.state === "released") return;
      const wasHeld = this.state === "held";
      this.state = "released";
      this.stopHeartbeat();
      try {
        if (wasHeld) await this.context.table().release(this.caller, this.context.owner());
      } catch (err) {
        if (err instanceof ConditionFailed) {
          // No owner at all is our own release, retried by the SDK after its answer was lost.
          if (err.item === undefined || err.item.owner !== undefined) {
            this.context.log("session lease had already been taken over when released", {
              caller: this.caller,
            });
          }
        } else {
          this.context.log("session lease release failed; it will expire on its own", {
            caller: this.caller,
            error: (err as Error).message,
          });
        }
      } finally {
        this.context.released(this);
      }
    });
  }

  /** Drops the lease locally without telling the table: it expires as a dead process's would. */
  abandon(): Promise<void> {
    this.state = "released";
    this.stopHeartbeat();
    this.context.released(this);
    return Promise.resolve();
  }

  private scheduleHeartbeat(): void {
    this.heartbeat = setTimeout(() => {
      this.heartbeat = undefined;
      if (this.state !== "held") return;
      this.renew()
        .catch((err: unknown) => {
          // A lost lease was logged when it was found lost; anything else is the table, and the
          // next beat retries before the lease can run out (three beats per lease).
          if (!(err instanceof LeaseLostError) && this.state === "held") {
            this.context.log("session lease renewal failed; retrying", {
              caller: this.caller,
              error: (err as Error).message,
            });
          }
        })
        .finally(() => {
          if (this.state === "held") this.scheduleHeartbeat();
        });
    }, this.context.leaseMs() / 3);
    // The heartbeat alone must not keep a process (or a test run) alive.
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
  }

  private markLost(during: string): void {
    if (this.state !== "held") return;
    this.state = "lost";
    this.stopHeartbeat();
    this.context.log(
      "session lease lost: another server took this caller over; this server's changes will not be recorded",
      {
        caller: this.caller,
        during,
      },
    );
  }

  private assertUsable(operation: string): void {
    if (this.state === "released") {
      throw new Error(
        `cannot ${operation} the session lease of caller ${this.caller}: it was already released`,
      );
    }
    if (this.state === "lost") throw new LeaseLostError(this.caller);
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** Per-caller turns inside this process, first come first served, each wait bounded. */
export class CallerTurns {
  /** A caller is present while one of its leases is held here; the array holds who waits next. */
  private readonly waiting = new Map<string, Array<() => void>>();

  take(caller: string, waitMs: number): Promise<boolean> {
    const queue = this.waiting.get(caller);
    if (queue === undefined) {
      this.waiting.set(caller, []);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const index = queue.indexOf(grant);
        if (index >= 0) queue.splice(index, 1);
        resolve(false);
      }, waitMs);
      queue.push(grant);
    });
  }

  give(caller: string): void {
    const next = this.waiting.get(caller)?.shift();
    if (next !== undefined) next();
    else this.waiting.delete(caller);
  }
}
