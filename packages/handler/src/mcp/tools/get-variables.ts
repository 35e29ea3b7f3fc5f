import type { McpServer } from "@modelcontextprotocol/server";
import { errorResult, jsonResult } from "../content.js";
import type { ToolContext } from "./context.js";

export function registerGetVariables(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "get_variables",
    {
      title: "List variables",
      description:
        "List the user's variables in the kernel with their type, a short repr, and shape/dtype/length when they have one.",
      inputSchema: {},
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () => {
      try {
        return jsonResult({ variables: await ctx.session.variables() });
      } catch (err) {
        return errorResult((err as Error).message);
      }
    },
  );
}
