import type { CallToolResult, ResourceLink } from "@modelcontextprotocol/server";
import { constants } from "node:fs";
import { lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { ExecutionResult } from "../kernel/execution.js";
import { NotebookFormatError, parseNotebook, serializeNotebook, type Notebook } from "./notebook.js";
import { PackageInstallError, PackageSpecError } from "./packages.js";
import { describeFileError, onPath, WorkspacePathError, writeTempName, type ResolvedPath } from "./paths.js";
import { workspaceUri } from "./resource-format.js";
import type { PresignedLink } from "./s3-sync.js";
import { FileTooLargeError, type Workspace } from "./workspace.js";

/** Helpers the workspace tools share: errors the model can act on, notebook I/O, links. */
export class ToolInputError extends Error {
  override name = "ToolInputError";
}

export function requireWorkspace(workspace: Workspace | undefined): Workspace {
  if (!workspace) {
    throw new ToolInputError("No workspace is available to this server (it was created without a runtime).");
  }
  return workspace;
}

/** Errors caused by the caller's input or the environment become a tool error; others propagate. */
export function toolError(err: unknown): CallToolResult {
  if (
    err instanceof WorkspacePathError ||
    err instanceof NotebookFormatError ||
    err instanceof ToolInputError ||
    err instanceof PackageSpecError ||
    err instanceof FileTooLargeError
  ) {
    return { content: [{ type: "text", text: err.message }], isError: true };
  }
  if (err instanceof PackageInstallError) {
    const text = err.output ? `${err.message}\n\npip said:\n${err.output}` : err.message;
    return { content: [{ type: "text", text }], isError: true };
  }
  // Any other file-system error: Node's message would show the absolute server path, so say what
  // happened without it (the workspace methods already name the caller's path where they can).
  const described = describeFileError(err);
  if (described !== undefined) {
    return { content: [{ type: "text", text: `File error: ${described}` }], isError: true };
  }
  throw err;
}

/** "analysis" -> "analysis.ipynb"; other extensions are refused. */
export function notebookName(input: string): string {
  const trimmed = input.trim();
  if (trimmed === "") throw new ToolInputError("Give the notebook's file name, e.g. analysis.ipynb.");
  if (/\.ipynb$/i.test(trimmed)) return trimmed;
  const base = trimmed.split("/").pop() ?? "";
  if (base.includes(".")) {
    throw new ToolInputError(`${JSON.stringify(input)} is not a notebook name; notebooks end in .ipynb.`);
  }
  return `${trimmed}.ipynb`;
}

export async function loadNotebook(
  workspace: Workspace,
  input: string,
  maxBytes: number,
): Promise<{ path: ResolvedPath; notebook: Notebook; size: number }> {
  const name = notebookName(input);
  const { path, text, size } = await workspace.readText(name, maxBytes);
  return { path, notebook: parseNotebook(text, path.relative), size };
}

export async function saveNotebook(
  workspace: Workspace,
  relative: string,
  notebook: Notebook,
): Promise<void> {
  await workspace.writeText(relative, serializeNotebook(notebook));
}

export function checkIndex(notebook: Notebook, index: number, name: string): number {
  if (!Number.isInteger(index) || index < 0 || index >= notebook.cells.length) {
    throw new ToolInputError(
      `cell_index ${index} is out of range: ${name} has ${notebook.cells.length} cell(s), indexed from 0.`,
    );
  }
  return index;
}

/** One notebook edited at a time per path, so concurrent calls do not lose each other's edits. */
const locks = new Map<string, Promise<unknown>>();
export function withNotebookLock<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(task);
  const settled = run.catch(() => undefined);
  locks.set(key, settled);
  void settled.then(() => {
    if (locks.get(key) === settled) locks.delete(key);
  });
  return run;
}

export function resourceLink(
  link: PresignedLink,
  name: string,
  mimeType: string,
  description: string,
  size?: number,
): ResourceLink {
  return {
    type: "resource_link",
    uri: link.url,
    name,
    mimeType,
    description: `${description} Presigned S3 link, valid for up to ${link.expiresInSeconds} s.`,
    ...(size !== undefined ? { size } : {}),
  } as ResourceLink;
}

const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/**
 * Where images dropped from a response are saved in the caller's workspace: hidden, so it does not
 * clash with a folder of the caller's own, yet listed by list_files and resources/list.
 */
export const OUTPUTS_DIR = ".mcp-outputs";
/** Saved images kept, newest first: a plotting loop must not fill the disk (and the S3 mirror). */
const KEEP_OUTPUTS = 32;
const KEEP_OUTPUT_BYTES = 256 * 1024 * 1024;
/** The names saveOutput gives; pruning touches nothing else, whatever else is in the folder. */
const OUTPUT_NAME = /^[A-Za-z0-9_-]{1,64}-\d+\.(?:png|jpg|gif|webp)$/;

/**
 * Images the response limits dropped (no image_index in structuredContent) are saved in the
 * workspace as .mcp-outputs/<execution-id>-<n>.<ext> and linked as workspace:// resources
 * (resources/read returns them). With a bucket, a presigned S3 link to the same file comes first.
 * Without a workspace the result is unchanged (its note stands).
 */
export async function linkDroppedImages(
  result: CallToolResult,
  execution: ExecutionResult,
  workspace: Workspace | undefined,
  label: string,
): Promise<CallToolResult> {
  if (!workspace) return result;
  const structured = (result.structuredContent as { outputs?: { image_index?: number }[] } | undefined)
    ?.outputs;
  if (!structured) return result;
  const added: CallToolResult["content"] = [];
  const saved = new Set<string>();
  const id = execution.executionId.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "execution";
  let next: number | undefined;
  for (const [i, output] of execution.outputs.entries()) {
    if (output.type !== "display_data" && output.type !== "execute_result") continue;
    if (structured[i]?.image_index !== undefined) continue;
    const mimeType = IMAGE_TYPES.find((t) => typeof output.data[t] === "string");
    if (!mimeType) continue;
    const bytes = Buffer.from((output.data[mimeType] as string).replace(/\s+/g, ""), "base64");
    // Numbered on from earlier saves: get_execution_output counts its outputs from 0 again.
    next ??= await nextOutputNumber(workspace, id);
    const file = `${id}-${next++}.${EXTENSIONS[mimeType]}`;
    const problems: string[] = [];
    const relative = await saveOutput(workspace, file, bytes).catch((err: unknown) => {
      problems.push(`not saved in the workspace (${describeProblem(err)})`);
      return undefined;
    });
    if (relative) saved.add(file);
    if (workspace.persistent) {
      // The saved file when there is one: one upload serves both links (it is mirrored anyway).
      const name = `${label}-output-${i}.${EXTENSIONS[mimeType]}`;
      const link = await (
        relative ? workspace.linkFile(relative) : workspace.linkBytes(bytes, mimeType, name)
      ).catch((err: unknown) => void problems.push(`no S3 link (${describeProblem(err)})`));
      if (link)
        added.push(resourceLink(link, name, mimeType, "An image too large for the response.", bytes.length));
    }
    if (relative) {
      added.push({
        type: "resource_link",
        uri: workspaceUri(relative),
        name: file,
        mimeType,
        description: `An image too large for the response, saved in the workspace as ${relative}; read it with resources/read.`,
        size: bytes.length,
      } as ResourceLink);
    }
    if (problems.length > 0)
      added.push({ type: "text", text: `[Image output ${i}: ${problems.join("; ")}.]` });
  }
  if (added.length === 0) return result;
  if (saved.size > 0) await pruneOutputs(workspace, saved).catch(() => undefined);
  return { ...result, content: [...result.content, ...added] };
}

/** One more than the highest number an image of execution `id` was saved under; 0 for none. */
async function nextOutputNumber(workspace: Workspace, id: string): Promise<number> {
  const dir = await workspace.resolve(OUTPUTS_DIR).catch(() => undefined);
  const names = dir ? await readdir(dir.absolute).catch(() => [] as string[]) : [];
  const pattern = new RegExp(`^${id}-(\\d+)\\.`);
  return names.reduce((n, name) => Math.max(n, Number(pattern.exec(name)?.[1] ?? -1) + 1), 0);
}

/** Writes bytes to .mcp-outputs/<name> through a hidden temporary file, renamed into place. */
async function saveOutput(workspace: Workspace, name: string, bytes: Uint8Array): Promise<string> {
  const relative = `${OUTPUTS_DIR}/${name}`;
  const dir = await workspace.resolve(OUTPUTS_DIR);
  // Not through a link (one made by kernel code, say): pruning must only touch our own folder.
  if (dir.relative !== OUTPUTS_DIR) throw new WorkspacePathError(`${OUTPUTS_DIR} is a symbolic link.`);
  await onPath(OUTPUTS_DIR, () => mkdir(dir.absolute, { recursive: true }));
  if (!(await lstat(dir.absolute)).isDirectory())
    throw new WorkspacePathError(`${OUTPUTS_DIR} is not a directory.`);
  const temp = path.join(dir.absolute, writeTempName(name));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await onPath(relative, () => open(temp, flags, 0o644));
  try {
    try {
      await handle.writeFile(bytes);
    } finally {
      await handle.close();
    }
    // The S3 sync and readers see the whole image or none; no fsync: the cell can be run again.
    await onPath(relative, () => rename(temp, path.join(dir.absolute, name)));
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  return relative;
}

/** Removes the oldest saved images beyond KEEP_OUTPUTS / KEEP_OUTPUT_BYTES, never those in `keep`. */
async function pruneOutputs(workspace: Workspace, keep: Set<string>): Promise<void> {
  const dir = await workspace.resolve(OUTPUTS_DIR);
  if (dir.relative !== OUTPUTS_DIR) return;
  const files: { name: string; size: number; mtimeMs: number }[] = [];
  for (const name of await readdir(dir.absolute)) {
    if (!OUTPUT_NAME.test(name)) continue;
    const info = await lstat(path.join(dir.absolute, name)).catch(() => undefined);
    if (info?.isFile()) files.push({ name, size: info.size, mtimeMs: info.mtimeMs });
  }
  files.sort((a, b) => b.mtimeMs - a.mtimeMs);
  let count = 0;
  let bytes = 0;
  for (const file of files) {
    count += 1;
    bytes += file.size;
    if (keep.has(file.name) || (count <= KEEP_OUTPUTS && bytes <= KEEP_OUTPUT_BYTES)) continue;
    await rm(path.join(dir.absolute, file.name), { force: true });
  }
}

function describeProblem(err: unknown): string {
  if (err instanceof WorkspacePathError) return err.message;
  return describeFileError(err) ?? (err instanceof Error ? err.message : String(err));
}

export async function fileSize(absolute: string): Promise<number | undefined> {
  return (await lstat(absolute).catch(() => undefined))?.size;
}
