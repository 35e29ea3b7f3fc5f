import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { newCell } from "../../workspace/notebook.js";
import {
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

export function registerInsertCell(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "insert_cell",
    {
      title: "Insert a notebook cell",
      description:
        "Insert a code or markdown cell into a notebook in the workspace at `cell_index` (0-based; -1 appends). " +
        "The cell is not run; use execute_cell for that.",
      inputSchema: {
        notebook_path: notebookPathSchema,
        cell_index: z
          .number()
          .int()
          .min(-1)
          .describe("Where the new cell goes (0-based); -1 appends at the end."),
        cell_type: z.enum(["code", "markdown"]).describe("Type of the new cell."),
        cell_source: z.string().describe("The new cell's source."),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ notebook_path, cell_index, cell_type, cell_source }) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        const target = await workspace.resolve(notebookName(notebook_path));
        return await withNotebookLock(target.absolute, async () => {
          const { path, notebook } = await loadNotebook(workspace, notebook_path, MAX_NOTEBOOK_BYTES);
          const count = notebook.cells.length;
          if (cell_index > count) {
            throw new ToolInputError(
              `cell_index ${cell_index} is out of range: ${path.relative} has ${count} cell(s); use 0..${count}, or -1 to append.`,
            );
          }
          const index = cell_index === -1 ? count : cell_index;
          const cell = newCell(cell_type, cell_source);
          notebook.cells.splice(index, 0, cell);
          if (notebook.nbformat_minor < 5) notebook.nbformat_minor = 5;
          await saveNotebook(workspace, path.relative, notebook);
          return jsonResult({
            notebook_path: path.relative,
            cell_index: index,
            cell_id: cell.id ?? null,
            cell_count: notebook.cells.length,
            message: `Inserted a ${cell_type} cell at index ${index}.`,
          });
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
