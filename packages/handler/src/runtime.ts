import { isLoopbackHost, type Config } from "./config.js";
import { createApp, type FetchHandler } from "./http/app.js";
import { KernelSession } from "./jupyter/kernel-session.js";
import { createJupyterServer } from "./jupyter/create.js";
import type { JupyterServer } from "./jupyter/server-process.js";
import type { Logger } from "./log.js";

/** Everything one process runs: the Jupyter server (ours or attached), one kernel session, the app. */
export interface Runtime {
  jupyter: JupyterServer;
  session: KernelSession;
  app: FetchHandler;
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
  const app = createApp({
    session,
    config,
    loopbackOnly: options.loopbackOnly ?? isLoopbackHost(config.host),
    log,
  });
  return {
    jupyter,
    session,
    app,
    async stop() {
      await session.shutdown();
      await jupyter.stop();
    },
  };
}
