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
  return segments.filter((s) => s !== "" && s !== ".").join("/");
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
