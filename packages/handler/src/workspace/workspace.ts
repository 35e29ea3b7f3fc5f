import { constants } from "node:fs";
import { link, lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import {
  isWriteTempName,
  onPath,
  resolveWorkspacePath,
  WorkspacePathError,
  writeTempName,
  type ResolvedPath,
} from "./paths.js";
import type { PresignedLink, S3Mirror, S3WorkspaceStore, SyncReport } from "./s3-sync.js";

export interface WorkspaceOptions {
  /** The kernel's working directory. */
  root: string;
  /** pip's --target, on the kernel's PYTHONPATH. */
  sitePackages: string;
  python: string;
  /** The kernel's (scrubbed) environment, for pip. */
  kernelEnv: Record<string, string>;
  store?: S3WorkspaceStore;
  /** How long install_package lets pip run. */
  pipTimeoutSeconds?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The files the kernel works on, confined to one directory, optionally mirrored to S3 per caller.
 * The directory on disk belongs to one caller at a time: when another identity calls this
 * container, the current files are synced out, the directory is emptied and the new caller's files
 * are restored. (The kernel itself is shared: see the README.)
 */
export class Workspace {
  readonly root: string;
  readonly sitePackages: string;
  readonly python: string;
  readonly kernelEnv: Record<string, string>;
  readonly store: S3WorkspaceStore | undefined;
  readonly pipTimeoutSeconds: number | undefined;
  private mirror: S3Mirror | undefined;
  private bound: string | undefined | null = null;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private readonly log: NonNullable<WorkspaceOptions["log"]>;

  constructor(options: WorkspaceOptions) {
    this.root = options.root;
    this.sitePackages = options.sitePackages;
    this.python = options.python;
    this.kernelEnv = options.kernelEnv;
    this.store = options.store;
    this.pipTimeoutSeconds = options.pipTimeoutSeconds;
    this.log = options.log ?? (() => undefined);
  }

  get persistent(): boolean {
    return this.store !== undefined;
  }

  /** Makes this caller's files the ones on disk (restoring them from S3 when needed). */
  async bind(identity: string | undefined): Promise<void> {
    (await this.acquire(identity))();
  }

  /**
   * Holds the workspace for one call of `identity`: calls of the caller whose files are on disk run
   * side by side; another caller's call waits until they are done, then the files are switched.
   * Returns the release function.
   */
  async acquire(identity: string | undefined): Promise<() => void> {
    for (;;) {
      const held = await this.serial(async () => {
        await mkdir(this.root, { recursive: true, mode: 0o700 });
        if (this.store && this.bound !== identity) {
          if (this.active > 0) return false;
          await this.switchTo(this.store, identity);
        }
        this.active += 1;
        return true;
      });
      if (held) {
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.active -= 1;
          if (this.active === 0) for (const wake of this.waiting.splice(0)) wake();
        };
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private async switchTo(store: S3WorkspaceStore, identity: string | undefined): Promise<void> {
    const started = performance.now();
    if (this.mirror) {
      // Another caller's files leave the disk only once they are safely in S3.
      await this.mirror.sync();
      await emptyDirectory(this.root);
      this.mirror = undefined;
      this.bound = null;
    }
    const mirror = store.mirror(this.root, identity);
    const { restored } = await mirror.restore();
    this.mirror = mirror;
    this.bound = identity;
    this.log("workspace restored", {
      files: restored.length,
      durationMs: Math.round(performance.now() - started),
    });
  }

  /** Uploads what changed since the last sync; a no-op without a bucket. */
  sync(): Promise<SyncReport | undefined> {
    // Without a bucket there is nothing to upload: skip the queue on the hot path.
    if (!this.mirror && !this.store) return Promise.resolve(undefined);
    return this.serial(async () => {
      if (!this.mirror) return undefined;
      const report = await this.mirror.sync();
      if (report.uploaded.length + report.deleted.length > 0) {
        this.log("workspace synced", { uploaded: report.uploaded.length, deleted: report.deleted.length });
      }
      return report;
    });
  }

  async resolve(input: string): Promise<ResolvedPath> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    return onPath(input, () => resolveWorkspacePath(this.root, input));
  }

  async readText(
    input: string,
    maxBytes: number,
  ): Promise<{ path: ResolvedPath; text: string; size: number }> {
    const resolved = await this.resolve(input);
    const info = await lstat(resolved.absolute).catch(() => undefined);
    if (!info) throw new WorkspacePathError(`${resolved.relative || input} does not exist in the workspace.`);
    if (!info.isFile()) throw new WorkspacePathError(`${resolved.relative} is not a regular file.`);
    if (info.size > maxBytes) {
      throw new FileTooLargeError(resolved, info.size, maxBytes);
    }
    const handle = await onPath(resolved.relative, () =>
      open(resolved.absolute, constants.O_RDONLY | constants.O_NOFOLLOW),
    );
    try {
      return { path: resolved, text: await handle.readFile("utf8"), size: info.size };
    } finally {
      await handle.close();
    }
  }

  /**
   * A file's bytes, at most `maxBytes` of them, with readText's confinement. O_NONBLOCK too: a FIFO
   * swapped in after the lstat would otherwise hang the open. The size is checked again on the open
   * handle, so a file that grew in between still cannot pass the cap.
   */
  async readBytes(
    input: string,
    maxBytes: number,
  ): Promise<{ path: ResolvedPath; bytes: Buffer; size: number }> {
    const resolved = await this.resolve(input);
    const info = await lstat(resolved.absolute).catch(() => undefined);
    if (!info) throw new FileNotFoundError(`${resolved.relative || input} does not exist in the workspace.`);
    if (!info.isFile()) throw new WorkspacePathError(`${resolved.relative} is not a regular file.`);
    if (info.size > maxBytes) throw new FileTooLargeError(resolved, info.size, maxBytes);
    const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    const handle = await onPath(resolved.relative, () => open(resolved.absolute, flags));
    try {
      const opened = await handle.stat();
      if (!opened.isFile()) throw new WorkspacePathError(`${resolved.relative} is not a regular file.`);
      if (opened.size > maxBytes) throw new FileTooLargeError(resolved, opened.size, maxBytes);
      // One spare byte tells a file still being written (it grew while we read) from a complete one.
      const buffer = Buffer.alloc(opened.size + 1);
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled === buffer.length) {
          throw new WorkspacePathError(`${resolved.relative} grew while it was read; try again.`);
        }
      }
      return { path: resolved, bytes: buffer.subarray(0, filled), size: filled };
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes a file without following a symlink at its name; creates missing parent directories. The
   * text goes to a hidden temporary file beside the target, is fsynced, and is renamed over the
   * target: readers, S3 sync and a writer killed mid-way see the old file or the new one, never a
   * torn or empty one, and a hard link at the target (to a file outside) is replaced, not written through.
   */
  async writeText(input: string, text: string, options: { exclusive?: boolean } = {}): Promise<ResolvedPath> {
    const resolved = await this.resolve(input);
    if (resolved.relative === "") throw new WorkspacePathError("Give a file name, not the workspace itself.");
    const dir = path.dirname(resolved.absolute);
    await onPath(resolved.relative, () => mkdir(dir, { recursive: true }));
    // Parents were created after the check: check again that nothing moved the target out.
    const again = await this.resolve(resolved.relative);
    const existing = await lstat(again.absolute).catch(() => undefined);
    if (existing?.isDirectory()) throw new WorkspacePathError(`${again.relative} is a directory.`);
    if (existing?.isSymbolicLink())
      throw new WorkspacePathError(`${again.relative} is a symbolic link; refused.`);
    if (existing && options.exclusive) throw new WorkspacePathError(`${again.relative} already exists.`);
    const temp = path.join(path.dirname(again.absolute), writeTempName(path.basename(again.absolute)));
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await onPath(again.relative, () => open(temp, flags, 0o644));
    try {
      try {
        await handle.writeFile(text, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      await onPath(again.relative, () =>
        options.exclusive ? placeNew(temp, again.absolute) : rename(temp, again.absolute),
      );
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
    return again;
  }

  async list(input: string): Promise<{ path: ResolvedPath; entries: FileEntry[] }> {
    const resolved = await this.resolve(input);
    const info = await lstat(resolved.absolute).catch(() => undefined);
    if (!info) throw new WorkspacePathError(`${resolved.relative || "."} does not exist in the workspace.`);
    if (!info.isDirectory()) throw new WorkspacePathError(`${resolved.relative} is not a directory.`);
    const entries: FileEntry[] = [];
    const dirents = await onPath(resolved.relative || ".", () =>
      readdir(resolved.absolute, { withFileTypes: true }),
    );
    for (const dirent of dirents) {
      // A write in flight (or one a kill interrupted) is not a file of the caller's.
      if (isWriteTempName(dirent.name)) continue;
      const rel = resolved.relative ? `${resolved.relative}/${dirent.name}` : dirent.name;
      const stat = await lstat(path.join(resolved.absolute, dirent.name)).catch(() => undefined);
      if (!stat) continue;
      entries.push({
        name: dirent.name,
        path: rel,
        type: stat.isDirectory()
          ? "directory"
          : stat.isFile()
            ? "file"
            : stat.isSymbolicLink()
              ? "symlink"
              : "other",
        size: stat.isFile() ? stat.size : null,
        modified: stat.mtime.toISOString(),
      });
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    return { path: resolved, entries };
  }

  /** A presigned link to a workspace file (uploaded first), or undefined without a bucket. */
  async linkFile(relative: string): Promise<PresignedLink | undefined> {
    return this.serial(async () => (this.mirror ? this.mirror.linkFile(relative) : undefined));
  }

  /** A presigned link to bytes that did not fit in a response, or undefined without a bucket. */
  async linkBytes(bytes: Uint8Array, contentType: string, name: string): Promise<PresignedLink | undefined> {
    return this.serial(async () =>
      this.mirror ? this.mirror.linkBytes(bytes, contentType, name) : undefined,
    );
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

export interface FileEntry {
  name: string;
  path: string;
  type: "file" | "directory" | "symlink" | "other";
  size: number | null;
  modified: string;
}

/** A path that names nothing in the workspace (a WorkspacePathError, so the tools treat it alike). */
export class FileNotFoundError extends WorkspacePathError {
  override name = "FileNotFoundError";
}

export class FileTooLargeError extends Error {
  override name = "FileTooLargeError";
  constructor(
    readonly path: ResolvedPath,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${path.relative} is ${size} bytes, more than the ${limit} bytes one response may carry.`);
  }
}

/** Moves `temp` to `target` only if nothing is there: link() never replaces, unlike rename(). */
async function placeNew(temp: string, target: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // File systems without hard links: check, then rename (a racing creator could still lose).
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw err;
    if (await lstat(target).catch(() => undefined))
      throw Object.assign(new Error("exists"), { code: "EEXIST" });
    await rename(temp, target);
    return;
  }
  await rm(temp, { force: true });
}

async function emptyDirectory(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(path.join(dir, name), { recursive: true, force: true });
}
