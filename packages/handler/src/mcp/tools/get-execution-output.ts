import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { errorResult, executionOutputShape, executionToToolResult } from "../content.js";
import { linkDroppedImages } from "../../workspace/tool-support.js";
import type { ToolContext } from "./context.js";

export function registerGetExecutionOutput(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "get_execution_output",
    {
      title: "Get the rest of a long-running execution",
      description:
        'When execute_code returned status "running" with an execution_id, this returns the output produced ' +
        "since the last read and whether the cell has finished. It waits up to `timeout` seconds for the end.",
      inputSchema: {
        execution_id: z.string().min(1).describe("The execution_id that execute_code returned."),
        timeout: z
          .number()
          .nonnegative()
          .optional()
          .describe("Seconds to wait for the cell to finish (default 10)."),
      },
      outputSchema: executionOutputShape,
      annotations: { readOnlyHint: true, idempotentHint: false, openWorldHint: false },
    },
    async ({ execution_id, timeout }) => {
      let waitMs = Math.min(timeout ?? 10, ctx.maxTimeoutSeconds) * 1000;
      if (ctx.budgetMs !== undefined) waitMs = Math.min(waitMs, ctx.budgetMs);
      const result = await ctx.session.executionOutput(execution_id, waitMs);
      if (!result) {
        return errorResult(
          `No unread execution ${execution_id} on your kernel: its output was already returned in full, it is older than the last few, or it ran on another container or a kernel since restarted. Run the code again if you need it.`,
        );
      }
      return linkDroppedImages(
        executionToToolResult(result, ctx.limits),
        result,
        ctx.workspace,
        "execution-output",
      );
    },
  );
}
