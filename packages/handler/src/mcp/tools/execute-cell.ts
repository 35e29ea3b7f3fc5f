import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { executionOutputShape, executionToToolResult } from "../content.js";
import { joinSource, toNotebookOutputs, type Cell, type CodeCell } from "../../workspace/notebook.js";
import {
  checkIndex,
  linkDroppedImages,
  loadNotebook,
  requireWorkspace,
  saveNotebook,
  toolError,
  ToolInputError,
  withNotebookLock,
} from "../../workspace/tool-support.js";
import type { ExecutionResult } from "../../kernel/execution.js";
import type { ResolvedPath } from "../../workspace/paths.js";
import type { Workspace } from "../../workspace/workspace.js";
import { runCell } from "../long-run.js";
import type { ToolContext } from "./context.js";
import { cellIndexSchema, MAX_NOTEBOOK_BYTES, notebookPathSchema } from "./read-cell.js";

export function registerExecuteCell(server: McpServer, ctx: ToolContext, mayAnswerWithTask = false): void {
  server.registerTool(
    "execute_cell",
    {
      title: "Run a notebook cell",
      description:
        "Run one code cell of a notebook in the workspace on the persistent kernel (the same one execute_code " +
        "uses), save its outputs and execution count into the notebook, and return them like execute_code. " +
        `\`timeout\` (seconds, default ${ctx.defaultTimeoutSeconds}, at most ${ctx.maxTimeoutSeconds}) interrupts the cell.`,
      inputSchema: {
        notebook_path: notebookPathSchema,
        cell_index: cellIndexSchema,
        timeout: z
          .number()
          .positive()
          .optional()
          .describe(`Seconds before the cell is interrupted; clamped to ${ctx.maxTimeoutSeconds}.`),
      },
      ...(mayAnswerWithTask ? {} : { outputSchema: executionOutputShape }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async ({ notebook_path, cell_index, timeout }, request) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        const { path, notebook } = await loadNotebook(workspace, notebook_path, MAX_NOTEBOOK_BYTES);
        const index = checkIndex(notebook, cell_index, path.relative);
        const cell = notebook.cells[index]!;
        if (cell.cell_type !== "code") {
          throw new ToolInputError(
            `Cell ${index} of ${path.relative} is a ${cell.cell_type} cell; only code cells run.`,
          );
        }
        const source = joinSource(cell.source);
        return await runCell(ctx, request, {
          code: source,
          timeout,
          finish: async (result) => {
            const saved = await saveCellOutputs(workspace, path, cell, index, source, result);
            if (!saved)
              result.notes.push(
                `Cell ${index} was removed from ${path.relative} while it ran; outputs were not saved.`,
              );
            else if (result.status === "running") {
              result.notes.push(
                "The notebook holds the output so far; the rest (get_execution_output) is not written into it.",
              );
            } else if (result.droppedChars > 0) {
              result.notes.push("The notebook holds the same truncated text output.");
            }
            const rendered = executionToToolResult(result, ctx.limits);
            return linkDroppedImages(
              rendered,
              result,
              workspace,
              `${path.relative.replace(/\W+/g, "_")}-cell-${index}`,
            );
          },
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}

/** Writes the outputs into the notebook, which may have changed while the cell ran: the cell is found again by id, then by index. */
async function saveCellOutputs(
  workspace: Workspace,
  path: ResolvedPath,
  cell: Cell,
  index: number,
  source: string,
  result: ExecutionResult,
): Promise<boolean> {
  return withNotebookLock(path.absolute, async () => {
    const current = await loadNotebook(workspace, path.relative, MAX_NOTEBOOK_BYTES);
    const target =
      (cell.id !== undefined ? current.notebook.cells.find((c) => c.id === cell.id) : undefined) ??
      (current.notebook.cells[index]?.cell_type === "code" &&
      joinSource(current.notebook.cells[index]!.source) === source
        ? current.notebook.cells[index]
        : undefined);
    if (!target || target.cell_type !== "code") return false;
    (target as CodeCell).outputs = toNotebookOutputs(result.outputs);
    (target as CodeCell).execution_count = result.executionCount;
    await saveNotebook(workspace, path.relative, current.notebook);
    return true;
  });
}
