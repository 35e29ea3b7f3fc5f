import type { McpServer } from "@modelcontextprotocol/server";
import { jsonResult } from "../content.js";
import type { ToolContext } from "./context.js";

export function registerInterruptKernel(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "interrupt_kernel",
    {
      title: "Interrupt the running cell",
      description: "Stop the cell that is running now (KeyboardInterrupt). Variables are kept.",
      inputSchema: {},
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async () => {
      const { interrupted, running } = await ctx.session.interrupt();
      return jsonResult({
        interrupted,
        execution_id: running,
        message: interrupted ? "Interrupt sent to the running cell." : "Nothing was running.",
      });
    },
  );
}
