import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Workspace } from "../workspace/workspace.js";
import { createMcpServer } from "./server.js";
import type { ToolContext } from "./tools/context.js";

export type BaseToolContext = Omit<ToolContext, "budgetMs">;

interface Pooled {
  server: McpServer;
  ctx: ToolContext;
}

/**
 * Stateless Streamable HTTP: every request gets its own transport, and a server no other request is
 * using. Building an McpServer costs more than the MCP exchange itself (the SDK compiles a JSON
 * schema validator and every tool schema per instance), so idle servers are kept and reconnected
 * instead. Each serves one request at a time; its tool context is refreshed per request.
 */
export class McpServerPool {
  private readonly idle: Pooled[] = [];

  constructor(
    private readonly base: BaseToolContext,
    private readonly maxIdle = 8,
  ) {}

  async handle(
    request: Request,
    parsedBody: unknown,
    perRequest: { budgetMs?: number; workspace?: Workspace },
  ): Promise<Response> {
    const entry = this.idle.pop() ?? this.create();
    entry.ctx.budgetMs = perRequest.budgetMs;
    // The runtime hands each request its caller's workspace (see runtime.ts).
    entry.ctx.workspace = perRequest.workspace ?? this.base.workspace;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    try {
      await entry.server.connect(transport);
      return await transport.handleRequest(request, { parsedBody });
    } finally {
      await entry.server.close();
      entry.ctx.workspace = undefined;
      if (this.idle.length < this.maxIdle) this.idle.push(entry);
    }
  }

  private create(): Pooled {
    const ctx: ToolContext = { ...this.base };
    return { server: createMcpServer(ctx), ctx };
  }
}
