import { randomBytes } from "node:crypto";
import { lstat, realpath } from "node:fs/promises";
import path from "node:path";

/** A path argument that would leave the workspace, or cannot name a file in it. */
export class WorkspacePathError extends Error {
  override name = "WorkspacePathError";
}

export interface ResolvedPath {
  /** Absolute path on disk, below the workspace's real path. */
  absolute: string;
  /** The same path relative to the workspace, with "/" separators; "" is the workspace itself. */
  relative: string;
}

// eslint-disable-next-line no-control-regex -- control characters are what we refuse here.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks a caller's path without touching the disk: relative, no NUL or control characters, no
 * `..` segment. Returns the normalized relative path ("" for the workspace itself).
 */
export function checkRelativePath(input: string): string {
  if (typeof input !== "string") throw new WorkspacePathError("A path must be a string.");
  if (input.includes("\u0000")) throw new WorkspacePathError("Paths may not contain NUL bytes.");
  if (CONTROL.test(input)) throw new WorkspacePathError("Paths may not contain control characters.");
  if (input.length > 1024) throw new WorkspacePathError("Paths are limited to 1024 characters.");
  if (path.posix.isAbsolute(input) || /^[A-Za-z]:[\\/]/.test(input) || input.startsWith("\\")) {
    throw new WorkspacePathError(
      `${JSON.stringify(input)} is absolute; give a path relative to the workspace (the kernel's working directory).`,
    );
  }
  const segments = input.split(/[\\/]+/);
  if (segments.includes("..")) {
    throw new WorkspacePathError(
      `${JSON.stringify(input)} contains "..": paths must stay inside the workspace.`,
    );
  }
  // Checked here so the caller hears which name is too long, not ENAMETOOLONG with a server path.
  const long = segments.find((s) => Buffer.byteLength(s) > MAX_NAME_BYTES);
  if (long !== undefined) {
    throw new WorkspacePathError(
      `${shorten(long)} is a file name longer than ${MAX_NAME_BYTES} bytes (the file system's limit; ` +
        "non-ASCII characters take 2-4 bytes each); use a shorter name.",
    );
  }
  return segments.filter((s) => s !== "" && s !== ".").join("/");
}

/** Linux's NAME_MAX and PATH_MAX, in bytes. */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4096;

// Temporary files of atomic writes (workspace.ts): hidden, and skipped by S3 sync and list_files.
const TEMP_MARKER = ".jmcp-tmp-";
const TEMP_NAME = /^\..*\.jmcp-tmp-[0-9a-f]{12}$/s;
/** Room a temporary name may need beyond its target's name (".", marker, 12 hex digits). */
const TEMP_EXTRA_BYTES = 1 + TEMP_MARKER.length + 12;

/** The hidden name an atomic write of `name` uses until it renames the file into place. */
export function writeTempName(name: string): string {
  const suffix = `${TEMP_MARKER}${randomBytes(6).toString("hex")}`;
  let base = name;
  // Cut by code point so a long name stays valid UTF-8 within NAME_MAX.
  while (Buffer.byteLength(`.${base}${suffix}`) > MAX_NAME_BYTES) base = [...base].slice(0, -1).join("");
  return `.${base}${suffix}`;
}

export function isWriteTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

function shorten(text: string): string {
  return JSON.stringify([...text].length > 40 ? `${[...text].slice(0, 40).join("")}…` : text);
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "does not exist",
  ENOTDIR: "goes through something that is not a directory",
  ELOOP: "goes through too many symbolic links (a loop?)",
  EACCES: "is not accessible to the server (permission denied)",
  EPERM: "cannot be changed by the server (operation not permitted)",
  EISDIR: "is a directory",
  EEXIST: "already exists",
  ENOTEMPTY: "is a directory that is not empty",
  ENAMETOOLONG: `is too long (names may have ${MAX_NAME_BYTES} bytes, whole paths ${MAX_PATH_BYTES})`,
  ENOSPC: "cannot be written: the server's disk is full",
  EDQUOT: "cannot be written: the disk quota is used up",
  EROFS: "is on a read-only file system",
  EMFILE: "cannot be opened now: the server has too many files open; try again",
  ENFILE: "cannot be opened now: the server has too many files open; try again",
  EBUSY: "is busy; try again",
  EXDEV: "cannot be moved across file systems",
};

/**
 * A file-system error as a message about the caller's path. Node's own message carries the
 * absolute server path (the state root), which is none of the caller's business.
 */
export function describeFileError(err: unknown, name?: string): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) return undefined;
  const what = ERRNO_TEXT[code] ?? "could not be used";
  return `${name !== undefined && name !== "" ? JSON.stringify(name) : "The path"} ${what} (${code}).`;
}

/** Runs a file operation on the caller's `name`, turning file-system errors into path errors. */
export async function onPath<T>(name: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    const message = err instanceof WorkspacePathError ? undefined : describeFileError(err, name);
    throw message === undefined ? err : new WorkspacePathError(message);
  }
}

/**
 * Resolves a caller's path inside `root`. Besides the lexical checks, it follows symlinks: the
 * nearest existing ancestor is resolved with realpath and must lie inside the workspace's real path,
 * and a dangling symlink on the way is refused (writing through it could land anywhere).
 */
export async function resolveWorkspacePath(root: string, input: string): Promise<ResolvedPath> {
  const relative = checkRelativePath(input);
  const realRoot = await realpath(root);
  const target = relative === "" ? realRoot : path.join(realRoot, ...relative.split("/"));
  // The room for a write's temporary name is kept too (see writeTempName).
  if (Buffer.byteLength(target) + TEMP_EXTRA_BYTES >= MAX_PATH_BYTES) {
    throw new WorkspacePathError(
      `${shorten(input)} is too long: inside the workspace directory it would make a path longer than ` +
        `the ${MAX_PATH_BYTES} bytes the server's file system allows (PATH_MAX); use a shorter path.`,
    );
  }
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await realpath(existing);
      if (!isInside(realRoot, real)) {
        throw new WorkspacePathError(
          `${JSON.stringify(input)} leads out of the workspace through a symbolic link; refused.`,
        );
      }
      const absolute = path.join(real, ...rest);
      return { absolute, relative: path.relative(realRoot, absolute).split(path.sep).join("/") };
    } catch (err) {
      if (err instanceof WorkspacePathError) throw err;
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      // realpath fails for a missing file and for a dangling symlink; only the first is fine.
      const link = await lstat(existing).catch(() => undefined);
      if (link) {
        throw new WorkspacePathError(
          `${JSON.stringify(input)} goes through a symbolic link that points nowhere inside the workspace; refused.`,
        );
      }
      if (existing === realRoot) throw err;
      rest.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
  }
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
