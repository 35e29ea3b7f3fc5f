import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { describeCell } from "../../workspace/notebook.js";
import {
  checkIndex,
  loadNotebook,
  notebookName,
  requireWorkspace,
  saveNotebook,
  toolError,
  ToolInputError,
  withNotebookLock,
} from "../../workspace/tool-support.js";
import type { ToolContext } from "./context.js";
import { MAX_NOTEBOOK_BYTES, notebookPathSchema } from "./read-cell.js";

export function registerDeleteCell(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "delete_cell",
    {
      title: "Delete notebook cells",
      description:
        "Delete one cell (`cell_index`) or several (`cell_indices`) from a notebook in the workspace. Indices " +
        "refer to the notebook before the deletion; returns the deleted cells' sources.",
      inputSchema: {
        notebook_path: notebookPathSchema,
        cell_index: z.number().int().min(0).optional().describe("0-based index of the cell to delete."),
        cell_indices: z
          .array(z.number().int().min(0))
          .max(1000)
          .optional()
          .describe("0-based indices of several cells to delete."),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ notebook_path, cell_index, cell_indices }) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        const wanted = [
          ...new Set([...(cell_index !== undefined ? [cell_index] : []), ...(cell_indices ?? [])]),
        ];
        if (wanted.length === 0) throw new ToolInputError("Give cell_index or cell_indices.");
        const target = await workspace.resolve(notebookName(notebook_path));
        return await withNotebookLock(target.absolute, async () => {
          const { path, notebook } = await loadNotebook(workspace, notebook_path, MAX_NOTEBOOK_BYTES);
          for (const i of wanted) checkIndex(notebook, i, path.relative);
          const deleted = wanted.sort((a, b) => a - b).map((i) => describeCell(notebook.cells[i]!, i, false));
          for (const i of [...wanted].sort((a, b) => b - a)) notebook.cells.splice(i, 1);
          await saveNotebook(workspace, path.relative, notebook);
          return jsonResult({
            notebook_path: path.relative,
            deleted,
            cell_count: notebook.cells.length,
            message: `Deleted ${deleted.length} cell(s); ${notebook.cells.length} remain.`,
          });
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
