import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { newNotebook, serializeNotebook } from "../../workspace/notebook.js";
import { notebookName, requireWorkspace, toolError, withNotebookLock } from "../../workspace/tool-support.js";
import type { ToolContext } from "./context.js";

const cellSchema = z.object({
  type: z.enum(["code", "markdown"]).describe("Cell type."),
  source: z.string().describe("The cell's text."),
});

export function registerCreateNotebook(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "create_notebook",
    {
      title: "Create a notebook",
      description:
        "Write a new Jupyter notebook (nbformat 4) into the workspace with the given cells. `filename` is " +
        'relative to the workspace; ".ipynb" is added when it has no extension. Run its cells with execute_cell.',
      inputSchema: {
        filename: z.string().min(1).max(1024).describe("e.g. analysis.ipynb or reports/q3.ipynb"),
        cells: z.array(cellSchema).max(1000).default([]).describe("Cells in order."),
        overwrite: z.boolean().optional().describe("Replace an existing file of that name (default false)."),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ filename, cells, overwrite }) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        const name = notebookName(filename);
        const target = await workspace.resolve(name);
        return await withNotebookLock(target.absolute, async () => {
          const notebook = newNotebook(cells);
          const written = await workspace.writeText(name, serializeNotebook(notebook), {
            exclusive: overwrite !== true,
          });
          return jsonResult({
            created: true,
            path: written.relative,
            cells: notebook.cells.length,
            message: `Created ${written.relative} with ${notebook.cells.length} cell(s).`,
          });
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
