import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
  type ListResourcesResult,
  type McpServer,
  type ReadResourceResult,
  type Resource,
} from "@modelcontextprotocol/server";
import { lstat } from "node:fs/promises";
import path from "node:path";
import { decodeText, mediaTypeOf, workspaceUri } from "../workspace/resource-format.js";
import { describeFileError, WorkspacePathError } from "../workspace/paths.js";
import { FileNotFoundError, FileTooLargeError, type Workspace } from "../workspace/workspace.js";
import {
  comparePaths,
  decodeCursor,
  encodeCursor,
  pathOfUri,
  walkFiles,
  WALK_LIMITS,
  type Walk,
  type WalkLimits,
} from "./resource-listing.js";
import type { ToolContext } from "./tools/context.js";

export const WORKSPACE_TEMPLATE = "workspace://{+path}";
export const WORKSPACE_TEMPLATE_NAME = "workspace-file";
export const RESOURCE_PAGE_SIZE = 100;
/** Where a listing says it was cut short (every page carries it: clients that aggregate keep page 1's). */
export const LISTING_META_KEY = "jupyter-mcp/listing";

export interface WorkspaceResourceOptions {
  /**
   * Largest file resources/read returns. Default: what fits MCP_MAX_RESPONSE_BYTES once base64
   * encoded (3.4 MB of the default 4.5 MB), read when each request comes, as the limits are.
   */
  maxReadBytes?: number;
  pageSize?: number;
  walkLimits?: WalkLimits;
}

/**
 * The caller's workspace files as MCP resources: resources/list (paged, path order), the
 * workspace://{+path} template, and resources/read of text and binary files under the same
 * confinement as the file tools. `ctx` is read per request (a pooled server is re-pointed at each
 * caller); without a workspace nothing is listed and every read is "not found".
 */
export function registerWorkspaceResources(
  server: McpServer,
  ctx: ToolContext,
  options: WorkspaceResourceOptions = {},
): void {
  const pageSize = options.pageSize ?? RESOURCE_PAGE_SIZE;
  const limits = options.walkLimits ?? WALK_LIMITS;
  const template = new ResourceTemplate(WORKSPACE_TEMPLATE, {
    // Listing is the paging handler below; McpServer would call this without the cursor.
    list: undefined,
    complete: { path: (value) => completePaths(ctx.workspace, value, limits) },
  });
  server.registerResource(
    WORKSPACE_TEMPLATE_NAME,
    template,
    {
      title: "Workspace file",
      description:
        "A file in your workspace (the kernel's working directory) by its path, each segment " +
        "percent-encoded: workspace://data/results.csv. Text comes back as text, other files as base64.",
    },
    (uri, variables) => {
      const maxBytes = options.maxReadBytes ?? Math.floor((ctx.limits.maxResponseBytes * 3) / 4);
      return readWorkspaceResource(ctx.workspace, uri, variables.path, maxBytes);
    },
  );
  // McpServer advertises listChanged; no such notification ever comes (files change with every cell,
  // and a server is built per request), so clients are told to list again instead of waiting.
  server.server.registerCapabilities({ resources: { listChanged: false } });
  const builtIn = sdkListHandler(server);
  server.server.setRequestHandler("resources/list", async (request, context) => {
    const cursor = request.params?.cursor;
    // Resources registered elsewhere on this server come first, on the first page only.
    const others = cursor === undefined && builtIn ? (await builtIn(request, context)).resources : [];
    const page = await listPage(ctx.workspace, cursor, pageSize, limits);
    return { ...page, resources: [...others, ...page.resources] };
  });
}

type ListHandler = (request: unknown, ctx: unknown) => Promise<ListResourcesResult>;

/**
 * McpServer's own resources/list: it lists resources registered by URI but neither reads a cursor
 * nor returns nextCursor, so it cannot page a workspace. It is kept for resources registered by
 * others (it reads the registry when called, so later registrations count too), through the SDK's
 * protected accessor; should that go, the workspace is still listed, and a test says so.
 */
function sdkListHandler(server: McpServer): ListHandler | undefined {
  const low = server.server as unknown as {
    _getRequestHandler?: (method: string) => ListHandler | undefined;
  };
  return typeof low._getRequestHandler === "function"
    ? low._getRequestHandler.call(server.server, "resources/list")
    : undefined;
}

async function listPage(
  workspace: Workspace | undefined,
  cursor: string | undefined,
  pageSize: number,
  limits: WalkLimits,
): Promise<ListResourcesResult> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && after === undefined) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      "Invalid cursor: pass back the nextCursor of an earlier resources/list page unchanged, or omit it to start over.",
      { reason: "invalid_cursor" },
    );
  }
  if (!workspace) return { resources: [] };
  const root = (await workspace.resolve("")).absolute;
  const walk = await walkFiles(root, limits);
  let start = 0;
  if (after !== undefined) {
    start = walk.files.findIndex((file) => comparePaths(file, after) > 0);
    if (start < 0) start = walk.files.length;
  }
  const slice = walk.files.slice(start, start + pageSize);
  const described = await Promise.all(slice.map((relative) => describe(root, relative)));
  const last = slice[slice.length - 1];
  return {
    resources: described.filter((r): r is Resource => r !== undefined),
    ...(start + pageSize < walk.files.length && last !== undefined ? { nextCursor: encodeCursor(last) } : {}),
    ...(walk.truncated ? { _meta: { [LISTING_META_KEY]: truncation(walk, limits) } } : {}),
  };
}

/** One listed file; undefined when it vanished (or changed kind) since the walk. */
async function describe(root: string, relative: string): Promise<Resource | undefined> {
  const info = await lstat(path.join(root, ...relative.split("/"))).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const media = mediaTypeOf(relative);
  return {
    uri: workspaceUri(relative),
    name: relative,
    ...(media ? { mimeType: media.mimeType } : {}),
    size: info.size,
    annotations: { lastModified: info.mtime.toISOString() },
  };
}

function truncation(walk: Walk, limits: WalkLimits): Record<string, unknown> {
  const why = {
    files: `only the first ${limits.maxFiles} files (in path order) are listed`,
    entries: `the listing stopped after ${limits.maxEntries} directory entries`,
    depth: `directories nested more than ${limits.maxDepth} levels deep are not listed`,
  }[walk.truncated!];
  return {
    truncated: true,
    reason: walk.truncated,
    note: `This workspace listing is incomplete: ${why}. list_files shows any directory, and every file can be read by its workspace:// URI.`,
  };
}

async function completePaths(
  workspace: Workspace | undefined,
  value: string,
  limits: WalkLimits,
): Promise<string[]> {
  if (!workspace) return [];
  const { files } = await walkFiles((await workspace.resolve("")).absolute, limits);
  return files.filter((file) => file.startsWith(value)).slice(0, 100);
}

/** resources/read of one workspace file: text when it is text, else a base64 blob. */
export async function readWorkspaceResource(
  workspace: Workspace | undefined,
  uri: URL,
  matched: string | string[] | undefined,
  maxBytes: number,
): Promise<ReadResourceResult> {
  if (!workspace) {
    throw new ResourceNotFoundError(
      uri.href,
      `No workspace is available to this server (it was created without a runtime), so ${uri.href} does not exist.`,
    );
  }
  try {
    const relative = pathOfUri(uri, matched);
    // Listed resources never go through a symlink, so reads do not either; resolve() has already
    // refused links that leave the workspace, and a path it rewrote went through one that stays.
    const resolved = await workspace.resolve(relative);
    if (resolved.relative !== relative) {
      throw new WorkspacePathError(
        `${relative} is or goes through a symbolic link; resources are regular files.`,
      );
    }
    const { bytes } = await workspace.readBytes(relative, maxBytes);
    const media = mediaTypeOf(relative);
    const text = media?.text === false ? undefined : decodeText(bytes);
    const canonical = workspaceUri(relative);
    if (text !== undefined) {
      return { contents: [{ uri: canonical, mimeType: media?.mimeType ?? "text/plain", text }] };
    }
    return {
      contents: [
        {
          uri: canonical,
          mimeType: media?.mimeType ?? "application/octet-stream",
          blob: bytes.toString("base64"),
        },
      ],
    };
  } catch (err) {
    throw await readError(err, uri, workspace);
  }
}

/**
 * A missing file is the SDK's ResourceNotFoundError (-32602 with data exactly `{ uri }`, as
 * 2026-07-28 asks); anything else wrong with the path or file is an Invalid Params error whose data
 * has a `reason` too, so clients do not take it for "not found".
 */
async function readError(err: unknown, uri: URL, workspace: Workspace): Promise<unknown> {
  const invalid = (message: string, data: Record<string, unknown>) =>
    new ProtocolError(ProtocolErrorCode.InvalidParams, message, { uri: uri.href, ...data });
  if (err instanceof FileNotFoundError) {
    return new ResourceNotFoundError(
      uri.href,
      `${err.message} (${uri.href}; resources/list shows what there is.)`,
    );
  }
  if (err instanceof FileTooLargeError) {
    const link = workspace.persistent
      ? await workspace.linkFile(err.path.relative).catch(() => undefined)
      : undefined;
    const instead = link
      ? `Download it from S3 instead: ${link.url} (valid for ${link.expiresInSeconds} s).`
      : "list_files shows it; work on it in the kernel with execute_code (with an S3 bucket configured, this error carries a download link).";
    return invalid(
      `${err.path.relative} is ${err.size} bytes (${megabytes(err.size)}), more than the ${err.limit} bytes ` +
        `(${megabytes(err.limit)}) one resources/read response may carry. ${instead}`,
      { reason: "too_large", size: err.size, limit: err.limit, ...(link ? { url: link.url } : {}) },
    );
  }
  if (err instanceof WorkspacePathError) return invalid(err.message, { reason: "refused" });
  // Node's own message would show the server's absolute path: say what happened without it.
  const described = describeFileError(err);
  if (described !== undefined) return invalid(`File error: ${described}`, { reason: "file_error" });
  return err;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
