import type { CallToolResult, ResourceLink } from "@modelcontextprotocol/server";
import { lstat } from "node:fs/promises";
import type { ExecutionResult } from "../kernel/execution.js";
import { NotebookFormatError, parseNotebook, serializeNotebook, type Notebook } from "./notebook.js";
import { PackageInstallError, PackageSpecError } from "./packages.js";
import { describeFileError, WorkspacePathError, type ResolvedPath } from "./paths.js";
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
 * Images the response limits dropped (no image_index in structuredContent) are stored in S3 and
 * linked with resource_link content. Without a bucket the result is unchanged (its note stands).
 */
export async function linkDroppedImages(
  result: CallToolResult,
  execution: ExecutionResult,
  workspace: Workspace | undefined,
  label: string,
): Promise<CallToolResult> {
  if (!workspace?.persistent) return result;
  const structured = (result.structuredContent as { outputs?: { image_index?: number }[] } | undefined)
    ?.outputs;
  if (!structured) return result;
  const links: ResourceLink[] = [];
  for (const [i, output] of execution.outputs.entries()) {
    if (output.type !== "display_data" && output.type !== "execute_result") continue;
    if (structured[i]?.image_index !== undefined) continue;
    const mimeType = IMAGE_TYPES.find((t) => typeof output.data[t] === "string");
    if (!mimeType) continue;
    const bytes = Buffer.from((output.data[mimeType] as string).replace(/\s+/g, ""), "base64");
    const name = `${label}-output-${i}.${EXTENSIONS[mimeType]}`;
    const link = await workspace.linkBytes(bytes, mimeType, name);
    if (link)
      links.push(resourceLink(link, name, mimeType, "An image too large for the response.", bytes.length));
  }
  if (links.length === 0) return result;
  return { ...result, content: [...result.content, ...links] };
}

export async function fileSize(absolute: string): Promise<number | undefined> {
  return (await lstat(absolute).catch(() => undefined))?.size;
}
