import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { jsonResult } from "../content.js";
import type { ToolContext } from "./context.js";

export function registerRestartKernel(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "restart_kernel",
    {
      title: "Restart the kernel",
      description: "Restart the Python kernel. All variables and imports are lost.",
      inputSchema: {},
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async () => {
      await ctx.session.restart();
      return jsonResult({
        restarted: true,
        message: "Kernel restarted; all variables were cleared.",
        ...ctx.session.status(),
      });
    },
  );
}
