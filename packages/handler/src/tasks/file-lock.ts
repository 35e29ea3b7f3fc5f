import { randomUUID } from "node:crypto";
import { link, open, readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A lock file for a read-modify-write of one task record, shared by every process on the machine.
 *
 * Taking it: the holder's unique token is written to a temp file, which is hard-linked to the
 * lock name. link() fails with EEXIST when the name exists, so it is an exclusive create (like
 * O_EXCL) whose file never exists without its token, which the stale check below relies on.
 *
 * A holder that died leaves its lock behind. A lock whose mtime is older than staleMs (the
 * critical section takes milliseconds, staleMs seconds) is taken over: renamed away to a unique
 * name (only one contender's rename can succeed), and removed only if what was moved carries the
 * token judged stale; a live lock moved by mistake (taken between the look and the rename) is
 * linked back. Release uses the same move-and-check, so a holder never removes a lock that is no
 * longer its own. What remains possible is two holders after a crash and three contenders within
 * the same instant of a takeover: the record still cannot tear (writes are rename-atomic), one
 * update could be lost.
 */

export interface FileLockOptions {
  /** How long to wait for a held lock before giving up. Should exceed staleMs, to outlast a dead holder. */
  waitMs: number;
  /** A lock this old (mtime) belongs to a dead (or frozen) holder and is taken over. */
  staleMs: number;
}

export class LockTimeoutError extends Error {
  constructor(lockPath: string, waitMs: number) {
    super(
      `task record lock ${lockPath} stayed held for ${waitMs} ms; another server process is updating ` +
        `the task, or a process died holding it (the lock is taken over once it is older than the stale limit)`,
    );
    this.name = "LockTimeoutError";
  }
}

/** Runs fn holding the lock at lockPath (its directory must exist). */
export async function withFileLock<T>(
  lockPath: string,
  options: FileLockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const token = await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await removeIfToken(lockPath, token).catch(() => undefined);
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const token = `${hostname()}/${process.pid}/${randomUUID()}`;
  const tmp = `${lockPath}.${randomUUID()}.tmp`;
  // No fsync: after a crash every holder is dead, and a lock that comes back empty is just stale.
  await writeFile(tmp, token, { flag: "wx", mode: 0o600 });
  try {
    const deadline = Date.now() + options.waitMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        // The lock's mtime is its age for the stale check: the moment it is taken, not the wait's start.
        const now = new Date();
        await utimes(tmp, now, now);
        await link(tmp, lockPath);
        return token;
      } catch (err) {
        if (errorCode(err) !== "EEXIST") throw err;
      }
      if (await removeIfStale(lockPath, options.staleMs)) continue;
      if (Date.now() >= deadline) throw new LockTimeoutError(lockPath, options.waitMs);
      // Jitter keeps contenders from retrying in lockstep.
      await sleep(delay / 2 + Math.random() * delay);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Takes over a lock older than staleMs; true when the name is (or just was) free to try again. */
export async function removeIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let seen: string;
  try {
    const { mtimeMs } = await stat(lockPath);
    if (Date.now() - mtimeMs < staleMs) return false;
    seen = await readFile(lockPath, "utf8");
  } catch (err) {
    if (errorCode(err) === "ENOENT") return true;
    throw err;
  }
  return removeIfToken(lockPath, seen);
}

/** Removes the lock only if it carries `token`; a different lock moved aside is put back. */
async function removeIfToken(lockPath: string, token: string): Promise<boolean> {
  const moved = `${lockPath}.${randomUUID()}.stale`;
  try {
    await rename(lockPath, moved);
  } catch (err) {
    if (errorCode(err) === "ENOENT") return true;
    throw err;
  }
  try {
    if ((await readFile(moved, "utf8")) === token) return true;
    // EEXIST here means a third process took the free name meanwhile: see the note at the top.
    await link(moved, lockPath).catch(() => undefined);
    return false;
  } finally {
    await unlink(moved).catch(() => undefined);
  }
}

/** Writes a new file (never an existing one) and fsyncs it, so a rename or link publishes whole data. */
export async function writeSynced(file: string, data: string): Promise<void> {
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or link in `dir` durable: without it a power cut can undo the new name. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
