import type { Config } from "../config.js";
import { ExternalJupyterServer, JupyterServerProcess, type JupyterServer } from "./server-process.js";

/**
 * The Jupyter server a config asks for. This module imports only Node built-ins, so entries can start
 * Jupyter (the slow part of a cold start) before they load the MCP SDK and @jupyterlab/services.
 */
export function createJupyterServer(config: Config, log: (message: string) => void): JupyterServer {
  if (config.jupyterUrl && config.jupyterToken) {
    return new ExternalJupyterServer(config.jupyterUrl, config.jupyterToken);
  }
  return new JupyterServerProcess({
    stateRoot: config.stateRoot,
    python: config.python,
    envPassthrough: config.kernelEnvPassthrough,
    log,
  });
}
