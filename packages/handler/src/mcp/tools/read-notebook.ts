import type { McpServer } from "@modelcontextprotocol/server";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { describeCell } from "../../workspace/notebook.js";
import {
  loadNotebook,
  notebookName,
  requireWorkspace,
  resourceLink,
  toolError,
} from "../../workspace/tool-support.js";
import { FileTooLargeError } from "../../workspace/workspace.js";
import type { ToolContext } from "./context.js";

/** Notebooks are parsed up to this size; beyond it they are only linked. */
const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

export function registerReadNotebook(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "read_notebook",
    {
      title: "Read a notebook",
      description:
        "Read a notebook from the workspace: every cell's index, id, type and source, and for code cells the " +
        "execution count and outputs (text; images and other binary data are named by mime type). A notebook " +
        "too large for one response comes back as a resource_link when S3 is configured.",
      inputSchema: {
        filename: z.string().min(1).max(1024).describe("Notebook path relative to the workspace."),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ filename }) => {
      const workspace = ctx.workspace;
      try {
        const ws = requireWorkspace(workspace);
        const { path, notebook, size } = await loadNotebook(ws, filename, MAX_NOTEBOOK_BYTES);
        const value = {
          path: path.relative,
          nbformat: notebook.nbformat,
          nbformat_minor: notebook.nbformat_minor,
          metadata: notebook.metadata,
          cells: notebook.cells.map((cell, i) => describeCell(cell, i, true)),
        };
        const text = JSON.stringify(value, null, 2);
        if (Buffer.byteLength(text) * 2 <= ctx.limits.maxResponseBytes) return jsonResult(value);
        return await linkInstead(ws, path.relative, size, value.cells.length);
      } catch (err) {
        if (err instanceof FileTooLargeError && workspace) {
          return linkInstead(workspace, err.path.relative, err.size, undefined).catch(toolError);
        }
        return toolError(err);
      }
    },
  );

  async function linkInstead(
    workspace: NonNullable<ToolContext["workspace"]>,
    relative: string,
    size: number,
    cells: number | undefined,
  ): Promise<CallToolResult> {
    const link = await workspace.linkFile(relative);
    const summary = `${relative} is ${size} bytes${cells !== undefined ? ` (${cells} cells)` : ""}, too large for one response.`;
    if (!link) {
      return {
        content: [
          {
            type: "text",
            text: `${summary} Read single cells with read_cell, or configure MCP_WORKSPACE_BUCKET to get a download link.`,
          },
        ],
        isError: true,
      };
    }
    return {
      content: [
        { type: "text", text: `${summary} Download it from the link, or read single cells with read_cell.` },
        resourceLink(link, notebookName(relative), "application/x-ipynb+json", "The notebook file.", size),
      ],
      structuredContent: { path: relative, size, link: link.url, expires_in_seconds: link.expiresInSeconds },
    };
  }
}
