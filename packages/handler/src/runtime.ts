import { isLoopbackHost, type Config } from "./config.js";
import { createApp, type FetchHandler } from "./http/app.js";
import { KernelSession } from "./jupyter/kernel-session.js";
import { ExternalJupyterServer, JupyterServerProcess, type JupyterServer } from "./jupyter/server-process.js";
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
  options: { loopbackOnly?: boolean } = {},
): Runtime {
  const jupyter: JupyterServer =
    config.jupyterUrl && config.jupyterToken
      ? new ExternalJupyterServer(config.jupyterUrl, config.jupyterToken)
      : new JupyterServerProcess({
          stateRoot: config.stateRoot,
          python: config.python,
          envPassthrough: config.kernelEnvPassthrough,
          log: (message) => log.warn(message),
        });
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
