import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { callerDirs } from "../callers.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { IPYTHON_KERNEL_CONFIG, kernelEnvironment, stateDirs } from "../jupyter/environment.js";
import { KernelPool } from "./pool.js";
import type { KernelLauncher } from "./transport.js";

/**
 * The kernel pool a config asks for: kernels we launch and speak to over ZMQ, or, with JUPYTER_URL,
 * kernels of that Jupyter server. Imports nothing of MCP, so an entry can start its first kernel
 * while the MCP SDK is still loading.
 */
export async function createKernelPool(config: Config, log: Logger): Promise<KernelPool> {
  const launcher = await createLauncher(config, log);
  return new KernelPool({
    launcher,
    placeOf: (caller) => callerDirs(config.stateRoot, caller),
    spareDir: path.join(config.stateRoot, "spare"),
    maxKernels: config.kernels.maxKernels,
    idleMs: config.kernels.idleSeconds * 1000,
    spares: config.kernels.spares,
    preload: config.kernelPreload,
    session: { kernelName: config.kernelName, maxOutputChars: config.limits.maxOutputChars },
    log: (message, fields) => log.info(message, fields),
  });
}

async function createLauncher(config: Config, log: Logger): Promise<KernelLauncher> {
  const warn = (message: string, fields?: Record<string, unknown>) => log.warn(message, fields);
  if (config.jupyterUrl && config.jupyterToken) {
    const [{ JupyterServerKernelLauncher }, { ExternalJupyterServer }] = await Promise.all([
      import("./services/launcher.js"),
      import("../jupyter/server-process.js"),
    ]);
    return new JupyterServerKernelLauncher(
      new ExternalJupyterServer(config.jupyterUrl, config.jupyterToken),
      {
        kernelName: config.kernelName,
        log: warn,
      },
    );
  }
  const { DirectKernelLauncher } = await import("./direct/launcher.js");
  const dirs = stateDirs(config.stateRoot);
  prepareStateRoot(dirs);
  return new DirectKernelLauncher({
    python: config.python,
    stateRoot: config.stateRoot,
    kernelName: config.kernelName,
    baseEnv: kernelEnvironment(process.env, dirs, config.kernelEnvPassthrough),
    log: warn,
  });
}

function prepareStateRoot(dirs: ReturnType<typeof stateDirs>): void {
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const profile = path.join(dirs.ipython, "profile_default");
  mkdirSync(profile, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(profile, "ipython_kernel_config.py"), IPYTHON_KERNEL_CONFIG);
}
