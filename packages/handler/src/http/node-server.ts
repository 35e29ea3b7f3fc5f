import { getRequestListener } from "@hono/node-server";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost, type Config } from "../config.js";
import { resolveSecrets } from "../auth-token.js";
import { createKernelPool } from "../kernel/create.js";
import type { KernelPool } from "../kernel/pool.js";
import type { Logger } from "../log.js";
import { createRuntime, type Runtime } from "../runtime.js";

export interface RunningServer {
  url: string;
  runtime: Runtime;
  server: Server;
  close(): Promise<void>;
}

export class InsecureBindError extends Error {
  override name = "InsecureBindError";
}

export function assertSecureBind(config: Config): void {
  const authenticates = config.authTokens.size > 0 || config.oauth?.validation === "server";
  if (!authenticates && !isLoopbackHost(config.host) && !config.allowInsecure) {
    throw new InsecureBindError(
      `Refusing to serve code execution on ${config.host} without MCP_AUTH_TOKEN, MCP_AUTH_TOKENS or MCP_OIDC_ISSUER (with MCP_JWT_VALIDATION=server). Set one, bind HOST=127.0.0.1, or set MCP_ALLOW_INSECURE=1 if another layer authenticates.`,
    );
  }
}

/**
 * Serves the Fetch handler over Node's HTTP server (local and Fargate). The first kernel starts
 * before we listen, so the first call does not pay for it.
 */
export async function startHttpServer(
  config: Config,
  log: Logger,
  kernels?: KernelPool,
): Promise<RunningServer> {
  assertSecureBind(config);
  // The checkpoint key may live in a secret (MCP_CHECKPOINT_KEY_SECRET_ARN); tokens come from the environment.
  const checkpointKey = config.sessions ? (await resolveSecrets(config)).checkpointKey : undefined;
  const runtime = createRuntime(config, log, {
    kernels: kernels ?? (await createKernelPool(config, log)),
    ...(checkpointKey ? { checkpointKey } : {}),
  });
  await runtime.warm();
  const listener = getRequestListener(async (request) => {
    const started = performance.now();
    const response = await runtime.app(request, { canStream: true });
    log.debug("request", {
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      durationMs: Math.round(performance.now() - started),
    });
    return response;
  });
  const server = createServer(listener);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info("listening", {
    url: `${url}/mcp`,
    auth: config.authTokens.size > 0 ? "bearer" : "none",
    callers: config.authTokens.size,
  });
  return {
    url,
    runtime,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await runtime.stop();
    },
  };
}
