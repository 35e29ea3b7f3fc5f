import { callerDirs, callerKey } from "./callers.js";
import { isLoopbackHost, type Config } from "./config.js";
import { createApp, type BoundCaller, type CallIntent, type FetchHandler } from "./http/app.js";
import { kernelEnvironment, stateDirs } from "./jupyter/environment.js";
import type { KernelPool } from "./kernel/pool.js";
import type { Logger } from "./log.js";
import type { SessionTurn } from "./sessions/coordinator.js";
import { createSessionCoordinator } from "./sessions/create.js";
import { createTaskStore } from "./tasks/create-store.js";
import { TaskRunner } from "./tasks/task-runner.js";
import { S3WorkspaceStore } from "./workspace/s3-sync.js";
import { Workspace } from "./workspace/workspace.js";

export type { RequestContext as RuntimeRequestContext } from "./http/app.js";

/** Everything one process runs: a kernel per caller, a workspace per caller, the app. */
export interface Runtime {
  kernels: KernelPool;
  app: FetchHandler;
  /** The caller's workspace (made on first use). */
  workspace(identity: string | undefined): Workspace;
  /**
   * Gets the first call's kernel ready (init, keep-warm pings): the only caller's kernel when the
   * tokens name one caller, else spare kernels; and restores that caller's files from S3.
   */
  warm(): Promise<void>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  loopbackOnly?: boolean;
  kernels: KernelPool;
  /** The checkpoint key found beside the tokens in their secret, when MCP_CHECKPOINT_KEY is unset. */
  checkpointKey?: string;
  /**
   * Checkpoint once the response is out (the server), or before it (Lambda: an environment is
   * frozen as soon as its runtime asks for the next event, so work after the response would wait
   * for the next invocation to thaw it).
   */
  checkpointAfterResponse?: boolean;
}

export function createRuntime(config: Config, log: Logger, options: RuntimeOptions): Runtime {
  const { kernels } = options;
  const authTokens = config.authTokens;
  const store = createStore(config, log);
  const sessions = createSessionCoordinator(config, store, log, options.checkpointKey);
  const afterResponse = options.checkpointAfterResponse ?? true;
  const finishing = new Set<Promise<void>>();
  const workspaces = new Map<string, Workspace>();
  const workspace = (identity: string | undefined): Workspace => {
    const key = callerKey(identity);
    let found = workspaces.get(key);
    if (!found) {
      found = createWorkspace(config, key, store, log);
      workspaces.set(key, found);
    }
    return found;
  };

  const bindCaller = async (identity: string | undefined, intent: CallIntent): Promise<BoundCaller> => {
    const key = callerKey(identity);
    const files = workspace(identity);
    let release: () => void;
    try {
      release = await files.acquire(identity);
    } catch (err) {
      log.error("workspace restore failed", { error: (err as Error).message });
      throw new Error(`The workspace could not be restored from S3: ${(err as Error).message}`);
    }
    const session = kernels.session(key);
    let turn: SessionTurn | undefined;
    if (sessions && intent.usesKernelState) {
      try {
        // Waiting for another server's call may use the budget, less room to run and answer.
        const waitMs = Math.max(0, (intent.budgetMs ?? 60_000) - 2_000);
        turn = await sessions.begin(key, session, waitMs, { clearsState: intent.clearsKernelState === true });
      } catch (err) {
        release();
        throw err;
      }
    }
    return {
      session,
      workspace: files,
      async release() {
        await files
          .sync()
          .catch((err: unknown) => log.error("workspace sync failed", { error: (err as Error).message }));
        release();
        if (!turn) return;
        const finished = turn.finish();
        if (!afterResponse) return finished;
        finishing.add(finished);
        void finished.finally(() => finishing.delete(finished));
      },
    };
  };

  // Task records go beside the session leases when there is a table (shared by every environment),
  // else under the state root (shared by the processes of one machine).
  const tasks = new TaskRunner({
    store: createTaskStore({
      ...(config.sessions ? { table: config.sessions.table } : {}),
      ...(config.sessions?.dynamodbEndpoint ? { dynamodbEndpoint: config.sessions.dynamodbEndpoint } : {}),
      stateRoot: config.stateRoot,
    }),
    ttlMs: config.taskTtlSeconds * 1000,
    pollIntervalMs: 2_000,
    log,
  });
  const app = createApp({
    config: { ...config, authTokens },
    bindCaller,
    loopbackOnly: options.loopbackOnly ?? isLoopbackHost(config.host),
    tasks,
    log,
  });
  // With one token (or none) there is one caller, known before anyone calls.
  const onlyCaller = authTokens.size <= 1 ? ([...authTokens.keys()][0] ?? "default") : undefined;
  return {
    kernels,
    app,
    workspace,
    async warm() {
      if (onlyCaller === undefined) return kernels.warmSpares();
      const identity = onlyCaller === "default" ? undefined : `token:${onlyCaller}`;
      await Promise.all([
        kernels.session(onlyCaller).warm(),
        workspace(identity)
          .bind(identity)
          .catch((err: unknown) =>
            // Retried by the first call, which answers 503 if S3 is still unreachable.
            log.error("workspace restore failed", { error: (err as Error).message }),
          ),
      ]);
    },
    async stop() {
      await Promise.all(finishing);
      await Promise.all([...workspaces.values()].map((w) => w.sync().catch(() => undefined)));
      await kernels.close();
    },
  };
}

function createStore(config: Config, log: Logger): S3WorkspaceStore | undefined {
  const { bucket, prefix, s3Endpoint, presignExpiresSeconds } = config.workspace;
  if (!bucket) return undefined;
  return new S3WorkspaceStore({
    bucket,
    prefix,
    presignExpiresSeconds,
    ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
    log: (message, fields) => log.warn(message, fields),
  });
}

function createWorkspace(
  config: Config,
  key: string,
  store: S3WorkspaceStore | undefined,
  log: Logger,
): Workspace {
  const dirs = callerDirs(config.stateRoot, key);
  return new Workspace({
    root: dirs.workDir,
    sitePackages: dirs.sitePackages,
    python: config.python,
    pipTimeoutSeconds: config.workspace.pipTimeoutSeconds,
    // pip runs with the kernel's scrubbed environment, with the caller's HOME.
    kernelEnv: {
      ...kernelEnvironment(process.env, stateDirs(config.stateRoot), config.kernelEnvPassthrough),
      HOME: dirs.home,
    },
    ...(store ? { store } : {}),
    log: (message, fields) => log.info(message, { caller: key, ...fields }),
  });
}
