import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { KernelSession } from "../kernel/session.js";
import type { Workspace } from "../workspace/workspace.js";
import { invalidParamsResponse } from "./call-check.js";
import { createMcpServer } from "./server.js";
import type { ToolContext } from "./tools/context.js";

export type BaseToolContext = Omit<ToolContext, "budgetMs" | "session" | "workspace">;

/** The caller's own kernel and files, for one request. */
export interface CallerTools {
  session: KernelSession;
  workspace: Workspace;
}

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
    perRequest: CallerTools & { budgetMs?: number },
  ): Promise<Response> {
    const entry = this.idle.pop() ?? this.create();
    entry.ctx.budgetMs = perRequest.budgetMs;
    // Each request works on its own caller's kernel and files (see runtime.ts).
    entry.ctx.session = perRequest.session;
    entry.ctx.workspace = perRequest.workspace;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    try {
      // Bad params get -32602 naming the field, not the SDK's -32603 or isError (call-check.ts).
      const invalid = invalidParamsResponse(parsedBody, entry.server);
      if (invalid) return invalid;
      await entry.server.connect(transport);
      return await transport.handleRequest(request, { parsedBody });
    } finally {
      await entry.server.close();
      entry.ctx.workspace = undefined;
      entry.ctx.session = undefined as unknown as KernelSession;
      if (this.idle.length < this.maxIdle) this.idle.push(entry);
    }
  }

  private create(): Pooled {
    // session is set per request before any tool can run.
    const ctx: ToolContext = { ...this.base, session: undefined as unknown as KernelSession };
    return { server: createMcpServer(ctx), ctx };
  }
}
