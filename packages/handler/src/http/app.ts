import type { Config } from "../config.js";
import type { KernelSession } from "../kernel/session.js";
import { afterBody, McpEndpoint } from "../mcp/endpoint.js";
import type { TaskRunner } from "../tasks/task-runner.js";
import { SERVER_NAME, SERVER_VERSION } from "../mcp/server.js";
import {
  AuthUnavailableError,
  bearerToken,
  InsufficientScopeError,
  InvalidTokenError,
  JwtVerifier,
} from "../auth/jwt.js";
import {
  challengeResponse,
  isProtectedResourcePath,
  protectedResourceResponse,
} from "../auth/protected-resource.js";
import { callerKey, tokenIdentity } from "../callers.js";
import { bearerCaller } from "./auth.js";
import { BodyTooLargeError, readBody } from "./body.js";
import { invalidJsonRpc } from "./jsonrpc.js";
import { isLoopbackRequest } from "./origin.js";
import { jsonResponse, jsonRpcError } from "./responses.js";
import type { Logger } from "../log.js";
import type { Workspace } from "../workspace/workspace.js";

export type AppConfig = Pick<
  Config,
  | "limits"
  | "defaultTimeoutSeconds"
  | "maxTimeoutSeconds"
  | "maxBodyBytes"
  | "basePath"
  | "progressIntervalSeconds"
  | "taskAfterSeconds"
  | "oauth"
> & {
  /** Bearer tokens by caller name; empty means no bearer auth (loopback, or the front door authenticates). */
  authTokens: ReadonlyMap<string, string>;
};

/** One caller's kernel and files for the length of one request. */
export interface BoundCaller {
  session: KernelSession;
  workspace: Workspace;
  /** Called once the response is complete: syncs the caller's files, lets another request in. */
  release(): Promise<void>;
}

/** What the app knows about a call when it binds the caller. */
export interface CallIntent {
  /** The call reads or changes the kernel's namespace (a kernel tool), so it needs the session. */
  usesKernelState: boolean;
  /** The call asks for a fresh kernel (restart_kernel): its empty state is the one to keep. */
  clearsKernelState?: boolean;
  budgetMs?: number;
}

export interface AppOptions {
  config: AppConfig;
  /**
   * Gives a request its caller's kernel and workspace (restoring files from S3 on first use, and
   * with sessions on, taking the caller's lease and restoring its kernel state when behind).
   */
  bindCaller: (identity: string | undefined, intent: CallIntent) => Promise<BoundCaller>;
  /** Reject requests whose Host or Origin is not loopback (DNS rebinding); set when bound to loopback. */
  loopbackOnly: boolean;
  /** Task records (Tasks extension); without it, long cells answer with an execution_id only. */
  tasks?: TaskRunner;
  log?: Logger;
}

/** Per-request facts the transport knows and the app cannot. */
export interface RequestContext {
  /** How long the caller will wait (front door or Lambda time left), when bounded. */
  budgetMs?: number;
  /**
   * The caller as the front door authenticated it (JWT iss+sub, IAM ARN, Lambda authorizer
   * principal), read from the event by the Lambda entry. Never from a header a client can set.
   */
  identity?: string;
  /**
   * The response reaches the client as it is written (the Node server; a Lambda invoked in
   * response-streaming mode), so SSE progress is worth sending. Buffered exchanges answer JSON.
   */
  canStream?: boolean;
}

export type FetchHandler = (request: Request, context?: RequestContext) => Promise<Response>;

const MCP_PATHS = new Set(["/mcp", "/"]);

export class CallerUnavailableError extends Error {
  override name = "CallerUnavailableError";
}

/** The product's centre: every entry (Lambda, HTTP server, tests) drives this one function. */
export function createApp(options: AppOptions): FetchHandler {
  const { config } = options;
  const endpoint = new McpEndpoint(
    {
      limits: config.limits,
      defaultTimeoutSeconds: config.defaultTimeoutSeconds,
      maxTimeoutSeconds: config.maxTimeoutSeconds,
      progressIntervalSeconds: config.progressIntervalSeconds,
      taskAfterMs: config.taskAfterSeconds * 1000,
    },
    {
      ...(options.tasks ? { tasks: options.tasks } : {}),
      onError: (error) => options.log?.warn("mcp request rejected", { error: error.message }),
    },
  );

  const oauth = config.oauth;
  const jwt = oauth?.validation === "server" ? new JwtVerifier(oauth) : undefined;

  /**
   * The caller's identity, or a 401/403/503 response. A named bearer token matches first; with an
   * OIDC issuer and in-server validation, any other bearer token must be a valid JWT of that issuer,
   * naming the caller as a JWT authorizer in front would (jwt:<iss>|<sub>).
   */
  const authenticate = async (
    request: Request,
    context: RequestContext,
  ): Promise<{ identity?: string } | Response> => {
    if (config.authTokens.size === 0 && !jwt) {
      // OAuth behind a JWT authorizer: a request without the authorizer's identity did not pass it
      // (a Function URL left open, a route that skips the authorizer); fail closed.
      if (oauth && context.identity === undefined) return challengeResponse(oauth, request);
      return context.identity === undefined ? {} : { identity: context.identity };
    }
    const header = request.headers.get("authorization");
    const name = config.authTokens.size > 0 ? bearerCaller(header, config.authTokens) : undefined;
    if (name !== undefined) {
      const identity = context.identity ?? tokenIdentity(name);
      return identity === undefined ? {} : { identity };
    }
    if (jwt && oauth) {
      const token = bearerToken(header);
      if (token === undefined) return challengeResponse(oauth, request);
      try {
        return { identity: (await jwt.verify(token)).identity };
      } catch (err) {
        if (err instanceof InvalidTokenError || err instanceof InsufficientScopeError) {
          return challengeResponse(oauth, request, err.challenge);
        }
        if (err instanceof AuthUnavailableError) {
          options.log?.warn("token keys unavailable", { error: err.message });
          return jsonResponse(
            503,
            { error: "auth_unavailable", message: err.message },
            { "Retry-After": "30" },
          );
        }
        throw err;
      }
    }
    if (oauth) return challengeResponse(oauth, request);
    return jsonResponse(
      401,
      { error: "unauthorized", message: "Send a token of this server as `Authorization: Bearer <token>`." },
      { "WWW-Authenticate": `Bearer realm="${SERVER_NAME}", error="invalid_token"` },
    );
  };

  return async function handle(request: Request, context: RequestContext = {}): Promise<Response> {
    try {
      if (options.loopbackOnly && !isLoopbackRequest(request)) {
        return jsonResponse(403, {
          error: "forbidden_host",
          message: "This server is bound to loopback and only answers requests addressed to localhost.",
        });
      }
      const path = routePath(new URL(request.url).pathname, config.basePath);
      if (path === "/health") {
        if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed("GET");
        // Unauthenticated: whether the server is up, nothing about anyone's kernel.
        return jsonResponse(200, { status: "ok", name: SERVER_NAME, version: SERVER_VERSION });
      }
      // RFC 9728: where a client learns which authorization server issues tokens for us (no auth).
      if (oauth && isProtectedResourcePath(path)) return protectedResourceResponse(oauth, request);
      const caller = await authenticate(request, context);
      if (caller instanceof Response) return caller;
      if (!MCP_PATHS.has(path)) {
        return jsonResponse(404, {
          error: "not_found",
          message: `No route for ${path}; MCP is served at POST /mcp.`,
        });
      }
      if (request.method !== "POST") return methodNotAllowed("POST");
      return await handleMcp(request, caller.identity, context);
    } catch (err) {
      options.log?.error("request failed", { error: err instanceof Error ? err.message : String(err) });
      return jsonResponse(500, {
        error: "internal_error",
        message: "The server failed on this request; see its logs.",
      });
    }
  };

  async function handleMcp(
    request: Request,
    identity: string | undefined,
    context: RequestContext,
  ): Promise<Response> {
    const contentType = request.headers.get("content-type");
    if (contentType !== null && !/^application\/(.+\+)?json\b/i.test(contentType)) {
      return jsonResponse(415, {
        error: "unsupported_media_type",
        message: `Content-Type ${contentType} is not accepted; send JSON-RPC as application/json.`,
      });
    }
    let raw: string;
    try {
      raw = await readBody(request, config.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        return jsonResponse(413, {
          error: "payload_too_large",
          message: `The request body exceeds ${config.maxBodyBytes} bytes (MCP_MAX_BODY_BYTES).`,
        });
      }
      throw err;
    }
    let parsedBody: unknown;
    try {
      parsedBody = JSON.parse(raw);
    } catch (err) {
      return jsonRpcError(
        400,
        -32700,
        `Parse error: the body is not valid JSON (${(err as Error).message}).`,
      );
    }

    const invalid = invalidJsonRpc(parsedBody);
    if (invalid) return jsonRpcError(400, -32600, invalid.message, invalid.id);

    let bound: BoundCaller;
    try {
      const tools = toolsCalled(parsedBody);
      bound = await options.bindCaller(identity, {
        usesKernelState: tools.some((t) => KERNEL_STATE_TOOLS.has(t)),
        clearsKernelState: tools.includes("restart_kernel"),
        ...(context.budgetMs !== undefined ? { budgetMs: context.budgetMs } : {}),
      });
    } catch (err) {
      options.log?.warn("caller unavailable", { error: (err as Error).message });
      return jsonRpcError(503, -32000, (err as Error).message, requestId(parsedBody) ?? null);
    }
    let response: Response;
    try {
      response = await endpoint.handle(request, parsedBody, {
        caller: callerKey(identity),
        session: bound.session,
        workspace: bound.workspace,
        canStream: context.canStream ?? false,
        ...(context.budgetMs !== undefined ? { budgetMs: context.budgetMs } : {}),
      });
    } catch (err) {
      await bound.release();
      throw err;
    }
    return afterBody(response, () => bound.release());
  }
}

/** Tools that read or change the kernel's namespace: with sessions on, they hold the caller's lease. */
const KERNEL_STATE_TOOLS = new Set([
  "execute_code",
  "execute_cell",
  "get_variables",
  "inspect_variable",
  "install_package",
  "restart_kernel",
]);

/** The names of the tools a JSON-RPC message (or batch) calls. */
function toolsCalled(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => {
    const message = m as { method?: unknown; params?: { name?: unknown } } | null;
    return message?.method === "tools/call" ? [String(message.params?.name)] : [];
  });
}

function requestId(body: unknown): string | number | undefined {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

function routePath(pathname: string, basePath: string | undefined): string {
  let path = pathname;
  if (basePath) {
    const base = `/${basePath.replace(/^\/+|\/+$/g, "")}`;
    if (path === base) path = "/";
    else if (path.startsWith(`${base}/`)) path = path.slice(base.length);
  }
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

function methodNotAllowed(allow: string): Response {
  return jsonResponse(
    405,
    { error: "method_not_allowed", message: `Use ${allow} on this path.` },
    { Allow: allow },
  );
}
