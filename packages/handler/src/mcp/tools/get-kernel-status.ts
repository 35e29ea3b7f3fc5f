import type { McpServer } from "@modelcontextprotocol/server";
import { jsonResult } from "../content.js";
import type { ToolContext } from "./context.js";

export function registerGetKernelStatus(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "get_kernel_status",
    {
      title: "Kernel status",
      description:
        "Report your kernel's state (not_started, starting, idle, busy, interrupting, restarting, stopped, dead), " +
        "its id, execution count, queue and restarts. Every caller has a kernel of its own.",
      inputSchema: {},
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () => jsonResult({ ...ctx.session.status() }),
  );
}
