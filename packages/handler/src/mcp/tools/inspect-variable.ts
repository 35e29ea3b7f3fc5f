import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { errorResult, jsonResult } from "../content.js";
import type { ToolContext } from "./context.js";

export function registerInspectVariable(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "inspect_variable",
    {
      title: "Inspect a variable",
      description:
        "Show one variable in detail: type, repr (up to 20,000 characters), shape, dtype, columns, docstring. " +
        "The name is looked up in the kernel's namespace, never evaluated.",
      inputSchema: { name: z.string().min(1).max(1000).describe("The variable's name, e.g. df.") },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ name }) => {
      try {
        const variable = await ctx.session.inspect(name);
        if (!variable)
          return errorResult(`No variable named ${JSON.stringify(name)}; get_variables lists them.`);
        return jsonResult({ variable });
      } catch (err) {
        return errorResult((err as Error).message);
      }
    },
  );
}
