import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { executionOutputShape, executionToToolResult } from "../content.js";
import { linkDroppedImages } from "../../workspace/tool-support.js";
import { runCell } from "../long-run.js";
import type { ToolContext } from "./context.js";

// Built once: a fresh McpServer is made per request, and rebuilding schemas each time is measurable.
const codeSchema = z.string().describe("Python source to run, as in one notebook cell.");
const timeoutSchemas = new Map<number, z.ZodOptional<z.ZodNumber>>();
function timeoutSchema(max: number): z.ZodOptional<z.ZodNumber> {
  let schema = timeoutSchemas.get(max);
  if (!schema) {
    schema = z
      .number()
      .positive()
      .optional()
      .describe(`Seconds before the cell is interrupted; clamped to ${max}.`);
    timeoutSchemas.set(max, schema);
  }
  return schema;
}

export function registerExecuteCode(server: McpServer, ctx: ToolContext, mayAnswerWithTask = false): void {
  server.registerTool(
    "execute_code",
    {
      title: "Execute Python code",
      description:
        "Run Python code in the persistent Jupyter kernel and return its output: printed text, the value of the " +
        "last expression, tracebacks, and matplotlib figures as PNG images. Variables and imports persist " +
        `between calls. \`timeout\` (seconds, default ${ctx.defaultTimeoutSeconds}, at most ${ctx.maxTimeoutSeconds}) ` +
        "interrupts the cell when it expires and keeps the variables.",
      inputSchema: { code: codeSchema, timeout: timeoutSchema(ctx.maxTimeoutSeconds) },
      ...(mayAnswerWithTask ? {} : { outputSchema: executionOutputShape }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async ({ code, timeout }, request) =>
      runCell(ctx, request, {
        code,
        timeout,
        finish: (result) =>
          linkDroppedImages(executionToToolResult(result, ctx.limits), result, ctx.workspace, "execute-code"),
      }),
  );
}
