import { readdirSync, readFileSync } from "node:fs";
import { loadConfig } from "../../src/config.js";
import { JupyterServerProcess } from "../../src/jupyter/server-process.js";
import { createKernelPool } from "../../src/kernel/create.js";
import type { KernelPool } from "../../src/kernel/pool.js";
import { createLogger } from "../../src/log.js";
import { tempStateRoot } from "./harness.js";

export type TransportName = "direct" | "jupyter-server";
export const TRANSPORTS: TransportName[] = ["direct", "jupyter-server"];

export interface PoolUnderTest {
  pool: KernelPool;
  stateRoot: string;
  /** Kernel processes (direct) or kernels on the server (jupyter-server) that exist now. */
  kernelCount(): Promise<number>;
  close(): Promise<void>;
}

const INSTALL =
  "These tests need Debian's Jupyter: apt-get install -y python3-ipykernel jupyter-server python3-jupyter-client " +
  "python3-matplotlib python3-numpy (or run scripts/setup.sh).";

/**
 * A real kernel pool built the way the entries build it (createKernelPool from a config): direct
 * kernels over ZMQ, or kernels of a real Jupyter server given as JUPYTER_URL.
 */
export async function startPool(
  transport: TransportName,
  env: Record<string, string> = {},
): Promise<PoolUnderTest> {
  const stateRoot = tempStateRoot(`pool-${transport}`);
  let server: JupyterServerProcess | undefined;
  const extra: Record<string, string> = {};
  if (transport === "jupyter-server") {
    server = new JupyterServerProcess({ stateRoot: tempStateRoot("jupyter"), python: "/usr/bin/python3" });
    const endpoint = await server.ensureRunning().catch((err: Error) => {
      throw new Error(`${err.message}\n${INSTALL}`);
    });
    extra.JUPYTER_URL = endpoint.baseUrl;
    extra.JUPYTER_TOKEN = endpoint.token;
  }
  const config = loadConfig({ JUPYTER_STATE_ROOT: stateRoot, LOG_LEVEL: "error", ...extra, ...env });
  const pool = await createKernelPool(config, createLogger("error"));
  return {
    pool,
    stateRoot,
    async kernelCount() {
      if (server === undefined) return directKernelPids(stateRoot).length;
      const endpoint = await server.ensureRunning();
      const res = await fetch(`${endpoint.baseUrl}api/kernels`, {
        headers: { Authorization: `token ${endpoint.token}` },
      });
      return ((await res.json()) as unknown[]).length;
    },
    async close() {
      await pool.close();
      await server?.stop();
    },
  };
}

/** ipykernel processes whose connection file lives under this state root. */
export function directKernelPids(stateRoot: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    // The direct launcher's watchdog (a /bin/sh) names the kernel's argv too: count kernels only.
    if (cmdline.startsWith("/bin/sh")) continue;
    if (cmdline.includes("ipykernel") && cmdline.includes(stateRoot)) pids.push(Number(entry));
  }
  return pids;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

export function outputText(result: { outputs: unknown[] }): string {
  return JSON.stringify(result.outputs);
}
