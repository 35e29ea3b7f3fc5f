import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_CALLER, TOKEN_NAME } from "../callers.js";
import { CallerTurns, HeldLease, type LeaseContext } from "./lease-held.js";
import { LeaseBusyError, SessionTableError } from "./lease-errors.js";
import { ConditionFailed, LeaseTable, type StoredSession } from "./lease-table.js";

export { LeaseBusyError, LeaseLostError, SessionTableError, VersionConflictError } from "./lease-errors.js";
export {
  ACQUIRE_CONDITION,
  CALL_TIMEOUT_MS,
  commitCondition,
  ITEM_PREFIX,
  OWNER_CONDITION,
  PARTITION_KEY,
} from "./lease-table.js";

/**
 * Session leases: at most one process at a time runs a caller's live kernel. The lease is one
 * DynamoDB item per caller (layout in lease-table.ts) taken with a conditional write, renewed by a
 * heartbeat while held, and carrying the caller's committed session version and checkpoint
 * pointer, so a commit can only land from the process that holds the lease and read the version
 * it replaces. A process that dies just stops renewing: its lease expires after leaseMs.
 *
 * Within one process, a caller's acquires also take turns locally (the table condition lets an
 * owner re-take its own lease, so it cannot tell two calls of one process apart).
 */

/** What a commit records with its version: opaque to the lease, JSON-serialisable, e.g. {key, createdAt}. */
export type CheckpointPointer = Record<string, unknown>;

export interface SessionLeasesOptions {
  /** MCP_SESSION_TABLE. */
  tableName: string;
  /** MCP_DYNAMODB_ENDPOINT: a local DynamoDB (tests); the regional endpoint when unset. */
  endpoint?: string;
  /** Unique per process (and per SessionLeases): see defaultLeaseOwner(). Never shown to callers. */
  owner: string;
  /** How long a lease lives without renewal; the heartbeat renews every leaseMs/3. Default 15000. */
  leaseMs?: number;
  /** Sessions unused this long are deleted by the table's TTL (attribute expiresAt). Default 30. */
  ttlDays?: number;
  /** Epoch ms for lease times; servers sharing a table must agree to well within leaseMs. */
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface Lease<P extends object = CheckpointPointer> {
  readonly caller: string;
  /** The session version stored when acquired (0 if none), then the last one this lease committed. */
  readonly version: number;
  readonly checkpoint: P | undefined;
  /** Another process took the lease over: nothing more this lease does is recorded. */
  readonly lost: boolean;
  /** Extends the lease now (the heartbeat does this on its own); LeaseLostError if taken over. */
  renew(): Promise<void>;
  /**
   * Records `next` if this process still holds the lease and the table still holds the version
   * this lease read (or last committed); keeps the lease. LeaseLostError if the lease was taken,
   * VersionConflictError if the version moved, SessionTableError if the table failed.
   */
  commit(next: { version: number; checkpoint: P }): Promise<void>;
  /**
   * Gives the lease up (version and checkpoint stay). Call it always, lost lease or not: until
   * then this process's other calls of the caller wait their turn. Never throws: a release that
   * cannot reach the table is logged, and the lease then expires within leaseMs.
   */
  release(): Promise<void>;
}

export interface SessionPeek<P extends object = CheckpointPointer> {
  version: number;
  checkpoint?: P;
  /** Epoch ms of the last commit. */
  committedAt?: number;
  /** Some process holds a live lease on this caller. */
  held: boolean;
  heldByThisServer: boolean;
  leaseRemainingMs?: number;
  /** The TTL attribute, epoch seconds. */
  expiresAt?: number;
}

const BACKOFF_START_MS = 25;
const BACKOFF_CAP_MS = 250;
const HASHED_CALLER = /^id-[0-9a-f]{32}$/;

/** hostname/pid/random: unique per process even when Lambda reuses hostnames and pids. */
export function defaultLeaseOwner(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

export class SessionLeases<P extends object = CheckpointPointer> {
  readonly tableName: string;
  readonly owner: string;
  readonly leaseMs: number;
  readonly ttlDays: number;
  private readonly table: LeaseTable;
  private readonly now: () => number;
  private readonly log: NonNullable<SessionLeasesOptions["log"]>;
  private readonly turns = new CallerTurns();
  private readonly held = new Set<HeldLease<P>>();
  private closed = false;

  constructor(options: SessionLeasesOptions) {
    if (!options.tableName) throw new TypeError("SessionLeases needs a table name (MCP_SESSION_TABLE)");
    if (!options.owner || options.owner.length > 256) {
      throw new TypeError("SessionLeases needs an owner id of 1-256 characters, unique per process");
    }
    const leaseMs = options.leaseMs ?? 15000;
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 50) {
      throw new RangeError(`leaseMs must be an integer of at least 50, not ${leaseMs}`);
    }
    const ttlDays = options.ttlDays ?? 30;
    if (!(ttlDays > 0)) throw new RangeError(`ttlDays must be positive, not ${ttlDays}`);
    this.tableName = options.tableName;
    this.owner = options.owner;
    this.leaseMs = leaseMs;
    this.ttlDays = ttlDays;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.table = new LeaseTable({
      tableName: options.tableName,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
  }

  /**
   * Takes `caller`'s lease, waiting up to waitMs (plus at most one bounded DynamoDB call) while
   * another call holds it: LeaseBusyError when the wait runs out.
   */
  async acquire(caller: string, waitMs: number): Promise<Lease<P>> {
    checkCallerKey(caller);
    if (!(waitMs >= 0)) throw new RangeError(`waitMs must be zero or more, not ${waitMs}`);
    this.assertOpen();
    const started = performance.now();
    if (!(await this.turns.take(caller, waitMs))) {
      throw new LeaseBusyError(caller, undefined, performance.now() - started, "this-server");
    }
    try {
      this.assertOpen();
      const stored = await this.takeFromTable(caller, started, started + waitMs);
      let checkpoint: P | undefined;
      try {
        checkpoint = this.parseCheckpoint(stored, caller);
      } catch (err) {
        await this.table.release(caller, this.owner).catch(() => undefined);
        throw err;
      }
      const lease = new HeldLease<P>(this.context, caller, stored.version, checkpoint);
      this.held.add(lease);
      return lease;
    } catch (err) {
      this.turns.give(caller);
      throw err;
    }
  }

  /** The stored version and pointer, without taking the lease (one consistent GetItem). */
  async peek(caller: string): Promise<SessionPeek<P>> {
    checkCallerKey(caller);
    this.assertOpen();
    const stored = await this.table.read(caller, "peek");
    if (stored === undefined) return { version: 0, held: false, heldByThisServer: false };
    const remaining = stored.leaseExpiresAt === undefined ? undefined : stored.leaseExpiresAt - this.now();
    const held = stored.owner !== undefined && remaining !== undefined && remaining >= 0;
    const peek: SessionPeek<P> = {
      version: stored.version,
      held,
      heldByThisServer: held && stored.owner === this.owner,
    };
    const checkpoint = this.parseCheckpoint(stored, caller);
    if (checkpoint !== undefined) peek.checkpoint = checkpoint;
    if (stored.committedAt !== undefined) peek.committedAt = stored.committedAt;
    if (held && remaining !== undefined) peek.leaseRemainingMs = remaining;
    if (stored.expiresAt !== undefined) peek.expiresAt = stored.expiresAt;
    return peek;
  }

  /**
   * Stops every heartbeat and the DynamoDB client. By default held leases are released first;
   * with release: false they are left to expire, exactly as if the process had died.
   */
  async close(options: { release?: boolean } = {}): Promise<void> {
    this.closed = true;
    const leases = [...this.held];
    await Promise.all(leases.map((lease) => (options.release === false ? lease.abandon() : lease.release())));
    this.table.client.destroy();
  }

  private async takeFromTable(caller: string, started: number, deadline: number): Promise<StoredSession> {
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      let holder: StoredSession | undefined;
      try {
        return await this.table.acquire(caller, this.owner, now, now + this.leaseMs, this.ttlAt(now));
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
        holder = err.item;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        const stored = holder ?? (await this.table.read(caller, "acquire"));
        const remaining =
          stored?.leaseExpiresAt === undefined ? undefined : stored.leaseExpiresAt - this.now();
        throw new LeaseBusyError(caller, remaining, performance.now() - started, "another-server");
      }
      // Jittered so that waiters on one caller do not poll in lockstep; never past the holder's expiry.
      const step = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** attempt);
      let delay = step / 2 + (Math.random() * step) / 2;
      if (holder?.leaseExpiresAt !== undefined) {
        delay = Math.min(delay, Math.max(1, holder.leaseExpiresAt - now + 1));
      }
      await sleep(Math.min(delay, left));
    }
  }

  private parseCheckpoint(stored: StoredSession, caller: string): P | undefined {
    if (stored.checkpointJson === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(stored.checkpointJson);
    } catch {
      value = undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new SessionTableError(
        `DynamoDB session table "${this.tableName}" holds a malformed checkpoint pointer for caller ` +
          `${caller} (not a JSON object). Delete that item to start the caller afresh.`,
        "parse",
      );
    }
    return value as P;
  }

  private ttlAt(now: number): number {
    return Math.floor(now / 1000) + Math.round(this.ttlDays * 86400);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("SessionLeases was closed; create a new one to take leases");
  }

  private readonly context: LeaseContext<P> = {
    table: () => this.table,
    owner: () => this.owner,
    leaseMs: () => this.leaseMs,
    now: () => this.now(),
    ttlAt: (now) => this.ttlAt(now),
    log: (message, fields) => this.log(message, { table: this.tableName, ...fields }),
    released: (lease) => {
      if (this.held.delete(lease)) this.turns.give(lease.caller);
    },
  };
}

function checkCallerKey(caller: string): void {
  if (caller === DEFAULT_CALLER || TOKEN_NAME.test(caller) || HASHED_CALLER.test(caller)) return;
  throw new TypeError(
    `not a caller key: ${JSON.stringify(caller.slice(0, 80))} (expected "default", a token name or id-<32 hex>)`,
  );
}
