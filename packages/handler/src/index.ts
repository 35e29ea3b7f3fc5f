export { loadConfig, SETTINGS, ConfigError, type Config, type OutputLimits } from "./config.js";
export { createApp, type FetchHandler, type RequestContext, type AppOptions } from "./http/app.js";
export { startHttpServer, InsecureBindError, type RunningServer } from "./http/node-server.js";
export { createRuntime, type Runtime } from "./runtime.js";
export { KernelSession, type KernelStatus, type ExecuteOptions } from "./kernel/session.js";
export { KernelPool } from "./kernel/pool.js";
export { createKernelPool } from "./kernel/create.js";
export type { KernelLauncher, KernelChannel } from "./kernel/transport.js";
export {
  JupyterServerProcess,
  ExternalJupyterServer,
  JupyterNotInstalledError,
  type JupyterServer,
} from "./jupyter/server-process.js";
export { createLogger, type Logger } from "./log.js";
