import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isLoopbackHost, type Config } from "./config.js";
import { createApp, type FetchHandler, type RequestContext } from "./http/app.js";
import { bearerMatches } from "./http/auth.js";
import { KernelSession } from "./jupyter/kernel-session.js";
import { createJupyterServer } from "./jupyter/create.js";
import { kernelEnvironment, stateDirs } from "./jupyter/environment.js";
import type { JupyterServer } from "./jupyter/server-process.js";
import type { Logger } from "./log.js";
import { kernelPathHook } from "./workspace/packages.js";
import { S3WorkspaceStore } from "./workspace/s3-sync.js";
import { Workspace } from "./workspace/workspace.js";

/** What an entry knows about a request beyond the Request: its budget, and who the front door says called. */
export interface RuntimeRequestContext extends RequestContext {
  /** The caller as the front door authenticated it (JWT sub, IAM ARN); selects the S3 workspace. */
  identity?: string;
}

/** Everything one process runs: the Jupyter server (ours or attached), one kernel session, the app. */
export interface Runtime {
  jupyter: JupyterServer;
  session: KernelSession;
  workspace: Workspace;
  app: (request: Request, context?: RuntimeRequestContext) => Promise<Response>;
  stop(): Promise<void>;
}

export function createRuntime(
  config: Config,
  log: Logger,
  options: { loopbackOnly?: boolean; jupyter?: JupyterServer } = {},
): Runtime {
  const jupyter = options.jupyter ?? createJupyterServer(config, (message) => log.warn(message));
  const session = new KernelSession(jupyter, {
    kernelName: config.kernelName,
    maxOutputChars: config.limits.maxOutputChars,
    preload: config.kernelPreload,
    log: (message) => log.info(message),
  });
  const workspace = createWorkspace(config, jupyter, log);
  const inner = createApp({
    session,
    config,
    loopbackOnly: options.loopbackOnly ?? isLoopbackHost(config.host),
    log,
  });
  const app = async (request: Request, context: RuntimeRequestContext = {}): Promise<Response> => {
    const { identity, ...rest } = context;
    // Only authenticated MCP calls bind or sync the workspace; the app answers everything else.
    const authenticated =
      identity !== undefined ||
      config.authToken === undefined ||
      bearerMatches(request.headers.get("authorization"), config.authToken);
    if (request.method !== "POST" || !authenticated) return inner(request, rest);
    let release: () => void;
    try {
      release = await workspace.acquire(identity);
    } catch (err) {
      log.error("workspace restore failed", { error: (err as Error).message });
      return Response.json(
        {
          error: "workspace_unavailable",
          message: `The workspace could not be restored from S3: ${(err as Error).message}`,
        },
        { status: 503 },
      );
    }
    try {
      return await inner(request, { ...rest, workspace });
    } finally {
      await workspace
        .sync()
        .catch((err: unknown) => log.error("workspace sync failed", { error: (err as Error).message }));
      release();
    }
  };
  return {
    jupyter,
    session,
    workspace,
    app: app satisfies FetchHandler,
    async stop() {
      await workspace.sync().catch(() => undefined);
      await session.shutdown();
      await jupyter.stop();
    },
  };
}

function createWorkspace(config: Config, jupyter: JupyterServer, log: Logger): Workspace {
  const dirs = stateDirs(config.stateRoot);
  // The kernel (ours) finds install_package's packages through an IPython startup file.
  const startup = path.join(dirs.ipython, "profile_default", "startup");
  mkdirSync(startup, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(startup, "00-jupyter-mcp-site-packages.py"), kernelPathHook(dirs.sitePackages));
  const { bucket, prefix, s3Endpoint, presignExpiresSeconds, pipTimeoutSeconds } = config.workspace;
  return new Workspace({
    root: jupyter.workDir ?? dirs.work,
    sitePackages: dirs.sitePackages,
    python: config.python,
    pipTimeoutSeconds,
    kernelEnv: kernelEnvironment(process.env, dirs, config.kernelEnvPassthrough),
    ...(bucket
      ? {
          store: new S3WorkspaceStore({
            bucket,
            prefix,
            presignExpiresSeconds,
            ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
            log: (message, fields) => log.warn(message, fields),
          }),
        }
      : {}),
    log: (message, fields) => log.info(message, fields),
  });
}
