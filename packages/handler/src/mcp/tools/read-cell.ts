import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { describeCell } from "../../workspace/notebook.js";
import { checkIndex, loadNotebook, requireWorkspace, toolError } from "../../workspace/tool-support.js";
import type { ToolContext } from "./context.js";

export const notebookPathSchema = z
  .string()
  .min(1)
  .max(1024)
  .describe("Notebook path relative to the workspace, e.g. analysis.ipynb.");
export const cellIndexSchema = z.number().int().min(0).describe("0-based index of the cell.");
export const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

export function registerReadCell(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "read_cell",
    {
      title: "Read one notebook cell",
      description:
        "Read one cell of a notebook in the workspace: type, source, and for code cells the execution count " +
        "and outputs (text; binary data named by mime type).",
      inputSchema: {
        notebook_path: notebookPathSchema,
        cell_index: cellIndexSchema,
        include_outputs: z
          .boolean()
          .optional()
          .describe("Include the outputs of a code cell (default true)."),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ notebook_path, cell_index, include_outputs }) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        const { path, notebook } = await loadNotebook(workspace, notebook_path, MAX_NOTEBOOK_BYTES);
        const index = checkIndex(notebook, cell_index, path.relative);
        return jsonResult({
          notebook_path: path.relative,
          cell_count: notebook.cells.length,
          cell: describeCell(notebook.cells[index]!, index, include_outputs !== false),
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
