import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { requireWorkspace, toolError } from "../../workspace/tool-support.js";
import type { ToolContext } from "./context.js";

const MAX_ENTRIES = 1000;

export function registerListFiles(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "list_files",
    {
      title: "List workspace files",
      description:
        "List the files and directories in the workspace (the kernel's working directory) or in one of its " +
        "subdirectories, with type, size and modification time. Paths are relative to the workspace.",
      inputSchema: {
        path: z.string().max(1024).optional().describe('Directory relative to the workspace (default ".").'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ path }) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        const listing = await workspace.list(path ?? "");
        const entries = listing.entries.slice(0, MAX_ENTRIES);
        return jsonResult({
          path: listing.path.relative || ".",
          entries,
          total: listing.entries.length,
          ...(listing.entries.length > MAX_ENTRIES ? { truncated: true } : {}),
          persistent: workspace.persistent,
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
