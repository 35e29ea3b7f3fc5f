import {
  createMcpHandler,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
  type McpHttpHandler,
  type McpServer,
} from "@modelcontextprotocol/server";
import type { KernelSession } from "../kernel/session.js";
import { TASKS_EXTENSION, type TaskRunner } from "../tasks/task-runner.js";
import type { Workspace } from "../workspace/workspace.js";
import { invalidParamsResponse } from "./call-check.js";
import { createMcpServer } from "./server.js";
import type { ToolContext } from "./tools/context.js";

export type BaseToolContext = Omit<ToolContext, "budgetMs" | "session" | "workspace" | "canStream" | "tasks">;

/** The caller's own kernel and files, and what the exchange allows, for one request. */
export interface EndpointRequest {
  /** The caller's key (default, a token name, id-<hash>): task records are kept per caller. */
  caller: string;
  session: KernelSession;
  workspace: Workspace;
  budgetMs?: number;
  /** The response can stream (SSE): progress notifications are possible. */
  canStream: boolean;
  /** The client declared the Tasks extension on this request (set here, from its _meta). */
  declaresTasks?: boolean;
}

export interface EndpointOptions {
  /** Task records and the tasks that run here; without it no task is ever created. */
  tasks?: TaskRunner;
  onError?: (error: Error) => void;
}

const REQUEST_KEY = "jupyterMcpRequest";

/** Idle servers kept per shape: enough for the requests one process serves at once. */
const MAX_IDLE_PER_SHAPE = 8;

type PooledContext = ToolContext & { caller: string };

interface Pooled {
  server: McpServer;
  ctx: PooledContext;
}

/**
 * Both protocol eras on one endpoint. 2026-07-28 requests (per-request `_meta`, no initialize) go to
 * the SDK's modern handler, which validates the Mcp-Method/Mcp-Name headers, answers
 * server/discover and adds caching hints. 2025-era requests (initialize, plain curl) are served
 * statelessly here as before: JSON answers, SSE only when the client asked for progress and the
 * exchange can stream. Servers are kept and reused between requests (see serverFor).
 */
export class McpEndpoint {
  private readonly modern: McpHttpHandler;
  private readonly idle = new Map<string, Pooled[]>();
  private built = 0;

  constructor(
    private readonly base: BaseToolContext,
    private readonly options: EndpointOptions = {},
  ) {
    this.modern = createMcpHandler(({ authInfo }) => this.serverFor(requestOf(authInfo), "modern"), {
      legacy: "reject",
      responseMode: "auto",
      ...(options.onError ? { onerror: options.onError } : {}),
    });
  }

  async handle(request: Request, parsedBody: unknown, perRequest: EndpointRequest): Promise<Response> {
    if (await isLegacyRequest(request, parsedBody)) return this.legacy(request, parsedBody, perRequest);
    perRequest = { ...perRequest, declaresTasks: declaresTasks(parsedBody) };
    // The SDK never reads auth from headers: the caller travels as pass-through auth info.
    const authInfo: AuthInfo = {
      token: "",
      clientId: perRequest.caller,
      scopes: [],
      extra: { [REQUEST_KEY]: perRequest },
    };
    return this.modern.fetch(request, { parsedBody, authInfo });
  }

  /** How many servers were built so far (the rest of the requests reused one). */
  get serversBuilt(): number {
    return this.built;
  }

  close(): Promise<void> {
    return this.modern.close();
  }

  /**
   * A server for this request: a kept one of the same shape (era, Tasks client or not) when one is
   * idle, else a new one. Keeping them pays: a new server costs about 0.75 ms on its first call (the
   * SDK turns every tool schema into JSON Schema and compiles validators per instance), some 10% of
   * a warm call (bench: "McpServer per request"). Each serves one request at a time; its tool
   * context is pointed at this request's caller, and it goes back when the SDK closes it.
   */
  private serverFor(perRequest: EndpointRequest, era: "legacy" | "modern"): McpServer {
    const runner = this.options.tasks;
    const declaresTasks = era === "modern" && perRequest.declaresTasks === true;
    const shape = `${era}:${declaresTasks}`;
    const entry = this.idle.get(shape)?.pop() ?? this.create(shape, era, declaresTasks);
    const { ctx } = entry;
    ctx.caller = perRequest.caller;
    ctx.session = perRequest.session;
    ctx.workspace = perRequest.workspace;
    ctx.canStream = perRequest.canStream;
    if (perRequest.budgetMs !== undefined) ctx.budgetMs = perRequest.budgetMs;
    else delete ctx.budgetMs;
    if (runner && era === "modern") ctx.tasks = runner.forCaller(perRequest.caller);
    else delete ctx.tasks;
    return entry.server;
  }

  private create(shape: string, era: "legacy" | "modern", declaresTasks: boolean): Pooled {
    const runner = this.options.tasks;
    // The session and workspace are set per request before any tool can run.
    const ctx = { ...this.base, caller: "" } as PooledContext;
    const server = createMcpServer(ctx, {
      era,
      declaresTasks,
      ...(runner ? { tasks: { runner, callerOf: () => ctx.caller } } : {}),
    });
    const entry: Pooled = { server, ctx };
    this.built += 1;
    server.server.onclose = () => this.release(shape, entry);
    return entry;
  }

  private release(shape: string, entry: Pooled): void {
    // Nothing of the last caller stays reachable from an idle server.
    entry.ctx.session = undefined as unknown as KernelSession;
    delete entry.ctx.workspace;
    delete entry.ctx.tasks;
    entry.ctx.caller = "";
    let idle = this.idle.get(shape);
    if (!idle) this.idle.set(shape, (idle = []));
    if (idle.length < MAX_IDLE_PER_SHAPE && !idle.includes(entry)) idle.push(entry);
  }

  private async legacy(
    request: Request,
    parsedBody: unknown,
    perRequest: EndpointRequest,
  ): Promise<Response> {
    const server = this.serverFor(perRequest, "legacy");
    // Bad params get -32602 naming the field, not an isError result (call-check.ts).
    const invalid = invalidParamsResponse(parsedBody, server);
    if (invalid) return invalid;
    const stream = perRequest.canStream && asksForProgress(parsedBody) && acceptsEventStream(request);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: !stream,
    });
    const teardown = async () => {
      await transport.close().catch(() => undefined);
      await server.close().catch(() => undefined);
    };
    await server.connect(transport);
    let response: Response;
    try {
      response = await transport.handleRequest(normalizeHeaders(request), { parsedBody });
    } catch (err) {
      await teardown();
      throw err;
    }
    return afterBody(response, teardown);
  }
}

function requestOf(authInfo: AuthInfo | undefined): EndpointRequest {
  const perRequest = authInfo?.extra?.[REQUEST_KEY] as EndpointRequest | undefined;
  if (!perRequest) throw new Error("the MCP endpoint was called without its per-request context");
  return perRequest;
}

/**
 * Runs `done` once the response body has been read to its end (or dropped): before a JSON body is
 * handed back, after the last event of an SSE stream and before the stream closes. The caller's
 * lease and files are released there, so a streamed cell is checkpointed when it has ended.
 */
export async function afterBody(response: Response, done: () => Promise<void>): Promise<Response> {
  if (response.body === null || !/text\/event-stream/i.test(response.headers.get("content-type") ?? "")) {
    await done();
    return response;
  }
  let finished: Promise<void> | undefined;
  const finish = () => (finished ??= done().catch(() => undefined));
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          await finish();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        await finish();
        controller.error(err);
      }
    },
    async cancel(reason) {
      await finish();
      await reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function declaresTasks(body: unknown): boolean {
  const meta = (body as { params?: { _meta?: Record<string, unknown> } } | null)?.params?._meta;
  const capabilities = meta?.["io.modelcontextprotocol/clientCapabilities"] as
    { extensions?: Record<string, unknown> } | undefined;
  return typeof capabilities?.extensions === "object" && TASKS_EXTENSION in capabilities.extensions;
}

function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => {
    const token = (m as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta
      ?.progressToken;
    return typeof token === "string" || typeof token === "number";
  });
}

function acceptsEventStream(request: Request): boolean {
  return /text\/event-stream/i.test(request.headers.get("accept") ?? "");
}

// Plain curl sends no Accept (or */*), and clients that only take JSON still deserve an answer: the
// transport insists on both types, and we answer JSON anyway (enableJsonResponse).
function normalizeHeaders(request: Request): Request {
  const headers = new Headers(request.headers);
  const accept = headers.get("accept") ?? "";
  if (!accept.includes("text/event-stream") && (accept === "" || /\*\/\*|application\/json/.test(accept))) {
    headers.set("accept", "application/json, text/event-stream");
  }
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Request(request.url, { method: request.method, headers });
}
