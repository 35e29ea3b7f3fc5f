import { randomUUID } from "node:crypto";
import { link, mkdir, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { errorCode, removeIfStale, syncDir, withFileLock, writeSynced } from "./file-lock.js";
import { FILE_RESULT_BYTES, fitResult } from "./fit-result.js";
import {
  boundPatch,
  checkCaller,
  checkNewRecord,
  checkTaskIds,
  DuplicateTaskError,
  isAbandoned,
  isExpired,
  TERMINAL,
  type TaskPatch,
  type TaskRecord,
  type TaskStore,
} from "./task-store.js";

/**
 * Task records as files, for servers without a DynamoDB table: processes on one machine share the
 * state root, so they share `<dir>/<caller>/<taskId>.json`.
 *
 * - Every write goes to a fresh temp file, fsynced, then renamed (or, for create, hard-linked)
 *   into place, and the directory is fsynced: a reader sees the old record or the new one, never
 *   half of one, whatever a killed process left behind (temp files are swept later).
 * - Read-modify-writes of one task take turns: within this store through a promise chain, across
 *   processes through the lock file `<taskId>.lock` (file-lock.ts says how it survives a holder
 *   that died). Reads take no lock.
 * - Expired records (isExpired) are removed lazily: when a get finds one, and by a sweep of the
 *   caller's directory (at most every sweepIntervalMs per caller) after a create, which also
 *   removes abandoned ones (isAbandoned), as the DynamoDB TTL does.
 */

export interface FileTaskStoreOptions {
  /** Epoch ms; tests move it. */
  now?: () => number;
  /** Default 8000: longer than lockStaleMs, so a waiter outlasts a holder that died. */
  lockWaitMs?: number;
  /** Default 5000. */
  lockStaleMs?: number;
  /** Results larger than this are reduced by fitResult. Default FILE_RESULT_BYTES (32 MB). */
  maxResultBytes?: number;
  /** Default 600000 (10 minutes). */
  sweepIntervalMs?: number;
}

const TEMP_SUFFIX = /\.(tmp|stale)$/;

export class FileTaskStore implements TaskStore {
  private readonly now: () => number;
  private readonly lock: { waitMs: number; staleMs: number };
  private readonly maxResultBytes: number;
  private readonly sweepIntervalMs: number;
  /** The tail of each task's chain of read-modify-writes in this store. */
  private readonly turns = new Map<string, Promise<unknown>>();
  private readonly lastSweep = new Map<string, number>();

  constructor(
    readonly dir: string,
    options: FileTaskStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.lock = { waitMs: options.lockWaitMs ?? 8000, staleMs: options.lockStaleMs ?? 5000 };
    this.maxResultBytes = options.maxResultBytes ?? FILE_RESULT_BYTES;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 600_000;
  }

  async create(record: TaskRecord): Promise<void> {
    checkNewRecord(record);
    const stored: TaskRecord = { ...record, ...boundPatch(record) };
    if (stored.result !== undefined)
      stored.result = fitResult(stored.result, this.maxResultBytes, stored.executionId);
    const file = this.file(record.caller, record.taskId);
    const dir = path.dirname(file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = tempName(file);
    await writeSynced(tmp, JSON.stringify(stored));
    try {
      // link() refuses an existing name: an exclusive create that publishes the whole record at once.
      await link(tmp, file);
    } catch (err) {
      if (errorCode(err) === "EEXIST") throw new DuplicateTaskError(record.caller, record.taskId);
      throw err;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    await syncDir(dir);
    this.sweepSoon(record.caller);
  }

  async get(caller: string, taskId: string): Promise<TaskRecord | undefined> {
    checkTaskIds(caller, taskId);
    const record = await this.read(caller, taskId);
    if (record === undefined || !isExpired(record, this.now())) return record;
    await this.forgetIfExpired(caller, taskId).catch(() => undefined);
    return undefined;
  }

  async update(caller: string, taskId: string, patch: TaskPatch): Promise<TaskRecord | undefined> {
    checkTaskIds(caller, taskId);
    const bounded = boundPatch(patch);
    return this.modify(caller, taskId, (current) => {
      const next: TaskRecord = { ...current, ...bounded };
      if (bounded.result !== undefined) {
        next.result = fitResult(bounded.result, this.maxResultBytes, next.executionId);
      }
      return next;
    });
  }

  async requestCancel(caller: string, taskId: string): Promise<TaskRecord | undefined> {
    checkTaskIds(caller, taskId);
    return this.modify(caller, taskId, (current) => ({ ...current, cancelRequested: true }));
  }

  /** Removes the caller's expired records and what killed writers left; public for tests and maintenance. */
  async sweep(caller: string): Promise<void> {
    checkCaller(caller);
    const dir = path.join(this.dir, caller);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const full = path.join(dir, name);
      if (TEMP_SUFFIX.test(name)) {
        // A temp file lives milliseconds; one older than the stale limit lost its writer.
        // (mtimes are the real clock, whatever `now` says.)
        const age = await stat(full).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > this.lock.staleMs) await unlink(full).catch(() => undefined);
      } else if (name.endsWith(".lock")) {
        await removeIfStale(full, this.lock.staleMs).catch(() => undefined);
      } else if (name.endsWith(".json")) {
        const taskId = name.slice(0, -".json".length);
        const record = await this.read(caller, taskId).catch(() => undefined);
        if (record !== undefined && (isExpired(record, this.now()) || isAbandoned(record, this.now()))) {
          await this.forgetIfExpired(caller, taskId).catch(() => undefined);
        }
      }
    }
  }

  /** Read-modify-write under the task's turn and lock; terminal (or expired) records are never rewritten. */
  private async modify(
    caller: string,
    taskId: string,
    change: (current: TaskRecord) => TaskRecord,
  ): Promise<TaskRecord | undefined> {
    // Without the lock first: unknown tasks need no lock file, and terminal ones never change again.
    const seen = await this.read(caller, taskId);
    if (seen === undefined || isExpired(seen, this.now())) return undefined;
    if (TERMINAL.has(seen.status)) return seen;
    return this.locked(caller, taskId, async () => {
      const current = await this.read(caller, taskId);
      if (current === undefined || isExpired(current, this.now())) return undefined;
      if (TERMINAL.has(current.status)) return current;
      const next = { ...change(current), lastUpdatedAt: new Date(this.now()).toISOString() };
      await this.write(this.file(caller, taskId), next);
      return next;
    });
  }

  private async forgetIfExpired(caller: string, taskId: string): Promise<void> {
    await this.locked(caller, taskId, async () => {
      const current = await this.read(caller, taskId);
      if (current === undefined) return;
      if (!isExpired(current, this.now()) && !isAbandoned(current, this.now())) return;
      await unlink(this.file(caller, taskId)).catch((err) => {
        if (errorCode(err) !== "ENOENT") throw err;
      });
    });
  }

  private locked<T>(caller: string, taskId: string, fn: () => Promise<T>): Promise<T> {
    const key = `${caller}/${taskId}`;
    const lockPath = path.join(this.dir, caller, `${taskId}.lock`);
    const previous = this.turns.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => withFileLock(lockPath, this.lock, fn),
      () => withFileLock(lockPath, this.lock, fn),
    );
    const tail = run.catch(() => undefined);
    this.turns.set(key, tail);
    // The map holds only tasks with a write in flight.
    void tail.then(() => {
      if (this.turns.get(key) === tail) this.turns.delete(key);
    });
    return run;
  }

  private async read(caller: string, taskId: string): Promise<TaskRecord | undefined> {
    const file = this.file(caller, taskId);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if (errorCode(err) === "ENOENT") return undefined;
      throw err;
    }
    let record: TaskRecord;
    try {
      record = JSON.parse(text) as TaskRecord;
    } catch (err) {
      // Writes are atomic, so this is damage from outside (a disk fault, a hand edit), not a race.
      throw new Error(`task record ${file} is not valid JSON; delete it to forget the task`, { cause: err });
    }
    // A record copied under another caller's name is not that caller's.
    return record.caller === caller && record.taskId === taskId ? record : undefined;
  }

  private async write(file: string, record: TaskRecord): Promise<void> {
    const tmp = tempName(file);
    try {
      await writeSynced(tmp, JSON.stringify(record));
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await syncDir(path.dirname(file));
  }

  private file(caller: string, taskId: string): string {
    // checkTaskIds has run: both are plain names, so this stays inside dir.
    return path.join(this.dir, caller, `${taskId}.json`);
  }

  private sweepSoon(caller: string): void {
    const now = this.now();
    if (now - (this.lastSweep.get(caller) ?? -Infinity) < this.sweepIntervalMs) return;
    this.lastSweep.set(caller, now);
    // In the background: a create should not wait on reading the caller's old records.
    void this.sweep(caller).catch(() => undefined);
  }
}

function tempName(file: string): string {
  return `${file}.${randomUUID()}.tmp`;
}
