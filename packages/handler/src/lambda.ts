import type { Context } from "aws-lambda";
import {
  detectEventKind,
  parseKeepWarm,
  toFetchRequest,
  toLambdaResult,
  UnsupportedEventError,
  MalformedEventError,
} from "@jupyter-mcp/event-adapter";
import { resolveSecrets, type StoredSecrets } from "./auth-token.js";
import { ConfigError, loadConfig } from "./config.js";
import type { Writable } from "node:stream";
import { BUDGET_MARGIN_MS, budgetFor } from "./lambda-budget.js";
import { pipeResponse, streamingEntry } from "./lambda-stream.js";
import { checkTenant, tenantOf } from "./lambda-tenant.js";
import { createLogger } from "./log.js";
import { ignoreLibraryCancellations, routeProcessOutput } from "./quiet.js";
import { createKernelPool } from "./kernel/create.js";
import type { Runtime } from "./runtime.js";
import { callerIdentity } from "./workspace/identity.js";

// Lambda entry: `handler` in dist/lambda.js. The first kernel starts at module scope, inside
// Lambda's init phase, and kernels are reused for as long as the container stays warm.
const config = loadConfig();
const log = createLogger(config.logLevel);
routeProcessOutput(log);
ignoreLibraryCancellations((message) => log.debug(message));

interface Ready {
  runtime?: Runtime;
  error?: string;
  /** A configuration error: retrying init on the next call cannot help. */
  permanent?: boolean;
  /** Date.now() before which init is not retried (the token source failed). */
  retryAt?: number;
}

const NO_TOKEN =
  "No bearer token is configured. Set MCP_AUTH_TOKEN, MCP_AUTH_TOKEN_SECRET_ARN or MCP_AUTH_TOKEN_SSM_PARAMETER, " +
  "or MCP_OIDC_ISSUER with MCP_JWT_VALIDATION=server to check JWTs here, " +
  "or MCP_ALLOW_INSECURE=1 when the front door authenticates callers itself (JWT authorizer or IAM).";

/** How long a failed token fetch is trusted before the next event tries again. */
const TOKEN_RETRY_MS = 30_000;

/** Tokens once fetched: a later init (after a kernel failure) does not fetch them again. */
let resolved: StoredSecrets | undefined;

async function init(): Promise<Ready> {
  const started = performance.now();
  const tokenSource =
    config.authTokens.size > 0 ||
    config.authTokenSecretArn ||
    config.authTokenSsmParameter ||
    config.oauth?.validation === "server";
  if (!tokenSource && !config.allowInsecure) {
    log.error("init failed", { error: NO_TOKEN });
    return { error: NO_TOKEN, permanent: true };
  }
  // The tokens come first: until they are known no call can be authenticated, so kernels started
  // now would only be stopped again, on every event, for as long as the secret is unreachable.
  // The MCP SDK loads meanwhile.
  const runtimeModule = import("./runtime.js");
  runtimeModule.catch(() => undefined);
  if (!resolved) {
    try {
      resolved = await resolveSecrets(config);
    } catch (err) {
      return tokenUnavailable(err);
    }
  }
  const authTokens = resolved.tokens;
  if (authTokens.size === 0 && !config.allowInsecure) {
    log.error("init failed", { error: NO_TOKEN });
    return { error: NO_TOKEN, permanent: true };
  }
  const kernels = await createKernelPool(config, log);
  kernels.warmSpares().catch(() => undefined);
  try {
    const { createRuntime } = await runtimeModule;
    const runtime = createRuntime({ ...config, authTokens }, log, {
      loopbackOnly: false,
      kernels,
      ...(resolved.checkpointKey ? { checkpointKey: resolved.checkpointKey } : {}),
      // Lambda freezes the environment once the response is posted and the runtime asks for the
      // next event, so a checkpoint after the response would not run until the next invocation.
      checkpointAfterResponse: false,
    });
    // The first kernel warms while the workspace is restored from S3 (when a bucket is configured).
    await runtime.warm();
    log.info("init", {
      durationMs: Math.round(performance.now() - started),
      auth: authTokens.size > 0 ? "bearer" : "front-door",
    });
    return { runtime };
  } catch (err) {
    await kernels.close().catch(() => undefined);
    const error = err instanceof Error ? err.message : String(err);
    log.error("init failed", { error });
    // A configuration error stays one: retrying init on every event cannot help.
    return err instanceof ConfigError ? { error, permanent: true } : { error };
  }
}

/**
 * The secret or parameter could not be read (network, permissions, missing, empty). Callers get
 * what the operator should check; the cause, which may name internal endpoints, goes to the log.
 */
function tokenUnavailable(err: unknown): Ready {
  const source = config.authTokenSecretArn ? "MCP_AUTH_TOKEN_SECRET_ARN" : "MCP_AUTH_TOKEN_SSM_PARAMETER";
  const what = config.authTokenSecretArn
    ? "secret exists and holds the token, and that the function's role has permission to read it " +
      "(secretsmanager:GetSecretValue, and kms:Decrypt for a customer-managed key)"
    : "parameter exists and holds the token, and that the function's role has permission to read it " +
      "(ssm:GetParameter, and kms:Decrypt for a SecureString)";
  log.error("auth token unavailable", {
    source,
    error: err instanceof Error ? err.message : String(err),
    ...(err instanceof Error && err.name !== "Error" ? { errorName: err.name } : {}),
    retryInSeconds: TOKEN_RETRY_MS / 1000,
  });
  return {
    error:
      `the server's token source is unavailable, so no call can be authenticated. The operator should check ` +
      `that the ${source} ${what} and can reach the service (VPC endpoint or NAT). Retried every ${TOKEN_RETRY_MS / 1000} s.`,
    retryAt: Date.now() + TOKEN_RETRY_MS,
  };
}

/** Whether this event should try init again: not after a permanent error, nor before retryAt. */
function initDue(state: Ready): boolean {
  if (state.runtime || state.permanent) return false;
  return state.retryAt === undefined || Date.now() >= state.retryAt;
}

let ready: Ready = await init();

/** What one invocation produced: a keep-warm answer, or an HTTP response for the front door. */
type Outcome = { ping: Record<string, unknown> } | { response: Response; unsupported?: boolean };

/**
 * One invocation, whatever the invoke mode. `streaming`: the response reaches the client as it is
 * written (Function URL RESPONSE_STREAM, REST API STREAM), so progress is sent and the budget is
 * the Lambda time left, not the buffered front door's 29-30 s.
 */
async function invoke(event: unknown, context: Context, streaming: boolean): Promise<Outcome> {
  const started = performance.now();
  const kind = detectEventKind(event);
  const line: Record<string, unknown> = { requestId: context.awsRequestId, eventType: kind, streaming };
  try {
    if (initDue(ready)) ready = await init();
    const runtime = ready.runtime;

    const ping = parseKeepWarm(event);
    if (ping) {
      if (runtime) await runtime.warm();
      // Holding concurrent pings a moment makes Lambda spread them over distinct containers.
      if (ping.concurrency > 1) await new Promise((r) => setTimeout(r, 150));
      line.route = "keep-warm";
      line.status = runtime ? 200 : 503;
      line.kernels = runtime?.kernels.liveCount() ?? 0;
      return {
        ping: {
          warmed: runtime !== undefined,
          source: ping.source,
          kernels: line.kernels,
          ...(ready.error ? { error: ready.error } : {}),
        },
      };
    }
    const request = toFetchRequest(event, {
      requestId: context.awsRequestId,
      ...(config.basePath ? { basePath: config.basePath } : {}),
    });
    line.route = `${request.method} ${new URL(request.url).pathname}`;
    // From the event (the front door's authorizer), never from a header a client could set.
    const identity = callerIdentity(event);
    const tenantRefusal = checkTenant(
      tenantOf(context),
      identity,
      new URL(request.url).pathname,
      config.tenancy,
    );
    const remaining = context.getRemainingTimeInMillis();
    const response = tenantRefusal
      ? tenantRefusal
      : runtime
        ? await runtime.app(request, {
            budgetMs: streaming ? Math.max(0, remaining - BUDGET_MARGIN_MS) : budgetFor(kind, remaining),
            canStream: streaming,
            ...withIdentity(identity),
          })
        : Response.json(
            { error: "unavailable", message: `The server could not start: ${ready.error}` },
            { status: 503 },
          );
    line.status = response.status;
    line.kernels = runtime?.kernels.liveCount() ?? 0;
    return { response };
  } catch (err) {
    if (err instanceof UnsupportedEventError || err instanceof MalformedEventError) {
      line.status = 400;
      return {
        response: Response.json({ error: "unsupported_event", message: err.message }, { status: 400 }),
        unsupported: true,
      };
    }
    line.status = 500;
    line.error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    line.durationMs = Math.round(performance.now() - started);
    log.info("request", line);
  }
}

/** The buffered entry: the whole response as the result shape of the event that came in. */
export async function bufferedHandler(event: unknown, context: Context): Promise<unknown> {
  const outcome = await invoke(event, context, false);
  if ("ping" in outcome) return outcome.ping;
  // No result shape to answer in: the event is none we know.
  if (outcome.unsupported) {
    return {
      statusCode: 400,
      headers: { "content-type": "application/json" },
      body: await outcome.response.text(),
    };
  }
  return toLambdaResult(outcome.response, event);
}

/** The response-streaming entry: the prelude, then the body as it is produced (SSE progress). */
async function streamingHandler(event: unknown, stream: Writable, context: Context): Promise<void> {
  const outcome = await invoke(event, context, true);
  const response = "ping" in outcome ? Response.json(outcome.ping) : outcome.response;
  await pipeResponse(response, stream);
}

/**
 * `handler` in dist/lambda.js. With MCP_LAMBDA_STREAMING=1 (set by the modules when the front door
 * streams) it is wrapped in the runtime's `awslambda.streamifyResponse`; otherwise buffered.
 */
export const handler = streamingEntry(streamingHandler, config.lambdaStreaming, log) ?? bufferedHandler;

function withIdentity(identity: string | undefined): { identity?: string } {
  return identity === undefined ? {} : { identity };
}

/** Stops every kernel; Lambda sends SIGTERM before it retires a container. */
export async function shutdown(): Promise<void> {
  await ready.runtime?.stop();
  ready = {};
}
process.once("SIGTERM", () => {
  void shutdown().finally(() => process.exit(0));
});
