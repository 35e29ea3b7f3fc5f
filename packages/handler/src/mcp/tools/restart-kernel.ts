import type { McpServer } from "@modelcontextprotocol/server";
import { jsonResult } from "../content.js";
import type { ToolContext } from "./context.js";

export function registerRestartKernel(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "restart_kernel",
    {
      title: "Restart the kernel",
      description: "Restart your Python kernel. All variables and imports are lost; your files stay.",
      inputSchema: {},
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async () => {
      try {
        await ctx.session.restart();
      } catch (err) {
        return jsonResult(
          { restarted: false, message: (err as Error).message, ...ctx.session.status() },
          true,
        );
      }
      return jsonResult({
        restarted: true,
        message: "Kernel restarted; all variables were cleared.",
        ...ctx.session.status(),
      });
    },
  );
}
