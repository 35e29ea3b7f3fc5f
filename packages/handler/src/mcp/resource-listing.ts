import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { checkRelativePath, isWriteTempName, WorkspacePathError } from "../workspace/paths.js";

/**
 * The pieces of workspace resources that do not touch MCP: parsing workspace:// URIs (made by
 * workspaceUri), the bounded walk that lists files in a stable order, and the paging cursor.
 */
export const SCHEME = "workspace:";

/**
 * The workspace path a workspace:// URI names, checked like a tool's path argument. The first
 * segment is the URL's host, so `..` and its encodings there are refused here (the URL parser
 * already folds dot segments of the path proper, which cannot climb above the first segment).
 */
export function pathOfUri(uri: URL, matched: string | string[] | undefined): string {
  if (uri.protocol !== SCHEME || typeof matched !== "string") {
    throw new WorkspacePathError(`${uri.href} is not a workspace://<path> URI.`);
  }
  if (uri.search !== "" || uri.hash !== "") {
    throw new WorkspacePathError(
      "workspace:// URIs take no query or fragment: percent-encode ? and # in names.",
    );
  }
  const segments = matched.split("/").map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new WorkspacePathError(`${JSON.stringify(segment)} is not valid percent-encoding.`);
    }
    // An encoded slash would smuggle a separator past the segment checks.
    if (/[\\/]/.test(decoded)) {
      throw new WorkspacePathError(`${JSON.stringify(segment)} encodes a path separator; refused.`);
    }
    return decoded;
  });
  // checkRelativePath refuses ".." (whatever its encoding was), NUL and absolute paths.
  const checked = checkRelativePath(segments.join("/"));
  if (checked === "") throw new WorkspacePathError(`${uri.href} names the workspace itself, not a file.`);
  return checked;
}

/** Path order: segment by segment, by UTF-16 code unit, the same order the walk visits files in. */
export function comparePaths(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

export interface WalkLimits {
  /** Files listed at most (the SDK client aggregates at most 64 pages by default). */
  maxFiles: number;
  /** Directory entries looked at, skipped ones included, so a huge directory cannot stall a page. */
  maxEntries: number;
  /** Directory levels entered below the workspace. */
  maxDepth: number;
}

export const WALK_LIMITS: WalkLimits = { maxFiles: 5_000, maxEntries: 20_000, maxDepth: 20 };

export interface Walk {
  files: string[];
  /** Which bound stopped the walk, when one did. */
  truncated?: "files" | "entries" | "depth";
}

/** Caches and checkpoints, not the caller's files (the S3 mirror skips them too). */
const SKIPPED_DIRS = new Set(["__pycache__", ".ipynb_checkpoints"]);

/**
 * Regular files below `root` in path order: no symlinks (a listed resource never leads elsewhere),
 * no in-flight write temporaries, nothing a path argument could not name. Deterministic, so each
 * page request (a new process, perhaps) walks to the same files.
 */
export async function walkFiles(root: string, limits: WalkLimits = WALK_LIMITS): Promise<Walk> {
  const walk: Walk = { files: [] };
  let examined = 0;
  const stop = () => walk.truncated === "files" || walk.truncated === "entries";
  const visit = async (dir: string, relative: string, depth: number): Promise<void> => {
    // A directory that vanished or cannot be read is left out rather than failing the listing.
    const dirents = await readdir(dir, { withFileTypes: true }).catch(() => []);
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      if (stop()) return;
      if (++examined > limits.maxEntries) {
        walk.truncated = "entries";
        return;
      }
      if (isWriteTempName(dirent.name) || !addressable(dirent.name)) continue;
      const child = relative === "" ? dirent.name : `${relative}/${dirent.name}`;
      if (dirent.isDirectory()) {
        if (SKIPPED_DIRS.has(dirent.name)) continue;
        if (depth >= limits.maxDepth) walk.truncated ??= "depth";
        else await visit(path.join(dir, dirent.name), child, depth + 1);
      } else if (dirent.isFile()) {
        if (walk.files.length >= limits.maxFiles) {
          walk.truncated = "files";
          return;
        }
        walk.files.push(child);
      }
    }
  };
  await visit(root, "", 0);
  return walk;
}

/** Names a path argument can reach: no backslash (a separator to checkRelativePath) or controls. */
function addressable(name: string): boolean {
  try {
    return checkRelativePath(name) === name;
  } catch {
    return false;
  }
}

// The cursor is a position (the last path of the previous page), so files added or removed between
// pages neither repeat nor skip others. The checksum catches a cursor that was edited or cut; it
// is not a secret, as a forged position lists nothing the caller could not list anyway.
const CURSOR_VERSION = 1;

function checksum(payload: string): string {
  return createHash("sha256")
    .update(`jupyter-mcp resources cursor\u0000${payload}`)
    .digest("base64url")
    .slice(0, 16);
}

export function encodeCursor(after: string): string {
  const payload = Buffer.from(JSON.stringify({ v: CURSOR_VERSION, after })).toString("base64url");
  return `${payload}.${checksum(payload)}`;
}

/** The position a cursor holds, or undefined when it is not one of ours, unchanged. */
export function decodeCursor(cursor: string): string | undefined {
  const dot = cursor.indexOf(".");
  if (dot < 0 || cursor.length > 8192) return undefined;
  const payload = cursor.slice(0, dot);
  if (cursor.slice(dot + 1) !== checksum(payload)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      v?: unknown;
      after?: unknown;
    };
    return value.v === CURSOR_VERSION && typeof value.after === "string" && value.after !== ""
      ? value.after
      : undefined;
  } catch {
    return undefined;
  }
}
