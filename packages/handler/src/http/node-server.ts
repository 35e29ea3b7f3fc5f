import { getRequestListener } from "@hono/node-server";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost, type Config } from "../config.js";
import type { JupyterServer } from "../jupyter/server-process.js";
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

/**
 * Serves the Fetch handler over Node's HTTP server (local and Fargate). Jupyter and the kernel start
 * before we listen, so the first call does not pay for them.
 */
export async function startHttpServer(
  config: Config,
  log: Logger,
  jupyter?: JupyterServer,
): Promise<RunningServer> {
  if (!config.authToken && !isLoopbackHost(config.host) && !config.allowInsecure) {
    throw new InsecureBindError(
      `Refusing to serve code execution on ${config.host} without MCP_AUTH_TOKEN. Set MCP_AUTH_TOKEN, bind HOST=127.0.0.1, or set MCP_ALLOW_INSECURE=1 if another layer authenticates.`,
    );
  }
  const runtime = createRuntime(config, log, jupyter ? { jupyter } : {});
  // The kernel warms while the workspace is restored from S3 (when a bucket is configured).
  await Promise.all([
    runtime.session.warm(),
    runtime.workspace.bind(undefined).catch((err: unknown) =>
      // Retried by the first call, which answers 503 if S3 is still unreachable.
      log.error("workspace restore failed", { error: (err as Error).message }),
    ),
  ]);
  const listener = getRequestListener(async (request) => {
    const started = performance.now();
    const response = await runtime.app(request);
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
  log.info("listening", { url: `${url}/mcp`, auth: config.authToken ? "bearer" : "none" });
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
