import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { joinSource, splitLines } from "../../workspace/notebook.js";
import {
  checkIndex,
  loadNotebook,
  notebookName,
  requireWorkspace,
  saveNotebook,
  toolError,
  withNotebookLock,
} from "../../workspace/tool-support.js";
import type { ToolContext } from "./context.js";
import { cellIndexSchema, MAX_NOTEBOOK_BYTES, notebookPathSchema } from "./read-cell.js";

export function registerOverwriteCellSource(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "overwrite_cell_source",
    {
      title: "Replace a cell's source",
      description:
        "Replace the source of one cell of a notebook in the workspace. The cell is not run (outputs stay " +
        "as they were until execute_cell); returns the previous source.",
      inputSchema: {
        notebook_path: notebookPathSchema,
        cell_index: cellIndexSchema,
        cell_source: z.string().describe("The new source."),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ notebook_path, cell_index, cell_source }) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        const target = await workspace.resolve(notebookName(notebook_path));
        return await withNotebookLock(target.absolute, async () => {
          const { path, notebook } = await loadNotebook(workspace, notebook_path, MAX_NOTEBOOK_BYTES);
          const index = checkIndex(notebook, cell_index, path.relative);
          const cell = notebook.cells[index]!;
          const previous = joinSource(cell.source);
          cell.source = splitLines(cell_source);
          await saveNotebook(workspace, path.relative, notebook);
          return jsonResult({
            notebook_path: path.relative,
            cell_index: index,
            cell_type: cell.cell_type,
            previous_source: previous,
            message: `Replaced the source of cell ${index}.`,
          });
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
