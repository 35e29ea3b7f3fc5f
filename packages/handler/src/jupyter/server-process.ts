import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { bootstrapConfig } from "./bootstrap.js";
import { IPYTHON_KERNEL_CONFIG, kernelEnvironment, stateDirs, type StateDirs } from "./environment.js";

/** Where a Jupyter server answers, and with which token. */
export interface JupyterEndpoint {
  baseUrl: string;
  wsUrl: string;
  token: string;
}

/** A Jupyter server we either supervise or attach to. */
export interface JupyterServer {
  /** Resolves once the server answers; starts or restarts it when it is ours and not running. */
  ensureRunning(): Promise<JupyterEndpoint>;
  stop(): Promise<void>;
  readonly state: "stopped" | "starting" | "running" | "external";
  readonly workDir: string | undefined;
}

export class JupyterNotInstalledError extends Error {
  override name = "JupyterNotInstalledError";
  constructor(python: string, detail: string) {
    super(
      `Jupyter is not available to ${python} (${detail}). Install Debian's packages with ` +
        "`apt-get install -y jupyter-server python3-ipykernel`, or set JUPYTER_PYTHON to a Python " +
        "that has jupyter_server and ipykernel, or JUPYTER_URL/JUPYTER_TOKEN to attach to a running server.",
    );
  }
}

export class JupyterStartError extends Error {
  override name = "JupyterStartError";
}

export interface JupyterServerProcessOptions {
  stateRoot: string;
  python: string;
  parentEnv?: Record<string, string | undefined>;
  envPassthrough?: readonly string[];
  readyTimeoutMs?: number;
  log?: (message: string) => void;
}

/** Starts the Jupyter server as our child on loopback, keeps it alive, and never leaves it orphaned. */
export class JupyterServerProcess implements JupyterServer {
  readonly dirs: StateDirs;
  private child: ChildProcess | undefined;
  private starting: Promise<JupyterEndpoint> | undefined;
  private endpoint: JupyterEndpoint | undefined;
  private stopping = false;
  private stderrTail = "";
  private restarts = 0;

  constructor(private readonly options: JupyterServerProcessOptions) {
    this.dirs = stateDirs(options.stateRoot);
    // A parent that exits normally takes the server with it; PDEATHSIG and the stdin pipe cover kills.
    process.once("exit", () => this.child?.kill("SIGKILL"));
  }

  get state(): JupyterServer["state"] {
    if (this.starting) return "starting";
    return this.endpoint ? "running" : "stopped";
  }

  get workDir(): string {
    return this.dirs.work;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  ensureRunning(): Promise<JupyterEndpoint> {
    if (this.endpoint) return Promise.resolve(this.endpoint);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(): Promise<JupyterEndpoint> {
    this.stopping = false;
    await Promise.all(Object.values(this.dirs).map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
    const port = await freePort();
    const token = randomBytes(24).toString("hex");
    const configFile = path.join(this.dirs.config, "jupyter_mcp_config.py");
    const allowRoot = typeof process.getuid === "function" && process.getuid() === 0;
    await mkdir(path.join(this.dirs.ipython, "profile_default"), { recursive: true, mode: 0o700 });
    await writeFile(
      path.join(this.dirs.ipython, "profile_default", "ipython_kernel_config.py"),
      IPYTHON_KERNEL_CONFIG,
    );
    await writeFile(configFile, bootstrapConfig({ port, token, rootDir: this.dirs.work, allowRoot }), {
      mode: 0o600,
    });

    const env = kernelEnvironment(
      this.options.parentEnv ?? process.env,
      this.dirs,
      this.options.envPassthrough,
    );
    const child = spawn(this.options.python, ["-m", "jupyter_server", `--config=${configFile}`], {
      cwd: this.dirs.work,
      env,
      stdio: ["pipe", "ignore", "pipe"],
    });
    this.child = child;
    this.stderrTail = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    // The pipe is the server's lifeline: it only ever sees EOF, when we are gone.
    child.stdin?.on("error", () => undefined);

    const exited = new Promise<never>((_, reject) => {
      child.once("error", (err: NodeJS.ErrnoException) => {
        reject(
          err.code === "ENOENT"
            ? new JupyterNotInstalledError(this.options.python, "that Python was not found")
            : err,
        );
      });
      child.once("exit", (code, signal) => {
        reject(this.startFailure(code, signal));
      });
    });
    child.once("exit", () => this.onExit(child));

    const endpoint: JupyterEndpoint = {
      baseUrl: `http://127.0.0.1:${port}/`,
      wsUrl: `ws://127.0.0.1:${port}/`,
      token,
    };
    try {
      await Promise.race([exited, waitForStatus(endpoint, this.options.readyTimeoutMs ?? 30_000)]);
    } catch (err) {
      child.kill("SIGKILL");
      throw err;
    }
    this.endpoint = endpoint;
    return endpoint;
  }

  private startFailure(code: number | null, signal: NodeJS.Signals | null): Error {
    const tail = this.stderrTail.trim().split("\n").slice(-5).join("\n");
    if (/No module named '?(jupyter_server|ipykernel)/.test(tail)) {
      return new JupyterNotInstalledError(this.options.python, tail.split("\n").pop() ?? "module missing");
    }
    return new JupyterStartError(
      `The Jupyter server exited during start (code ${code}, signal ${signal}). Its last words:\n${tail}`,
    );
  }

  private onExit(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    const wasRunning = this.endpoint !== undefined;
    this.endpoint = undefined;
    if (this.stopping || !wasRunning) return;
    this.restarts += 1;
    this.options.log?.(`Jupyter server exited unexpectedly; restarting (restart ${this.restarts})`);
    // Restart eagerly so the next call finds it ready; a failure here surfaces on that call instead.
    this.ensureRunning().catch((err: unknown) =>
      this.options.log?.(`Jupyter restart failed: ${String(err)}`),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => undefined);
    const child = this.child;
    this.endpoint = undefined;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await gone;
    clearTimeout(timer);
  }
}

/** A Jupyter server someone else runs (JUPYTER_URL + JUPYTER_TOKEN). */
export class ExternalJupyterServer implements JupyterServer {
  readonly state = "external" as const;
  readonly workDir = undefined;
  private readonly endpoint: JupyterEndpoint;

  constructor(url: string, token: string) {
    const base = url.endsWith("/") ? url : `${url}/`;
    this.endpoint = { baseUrl: base, wsUrl: base.replace(/^http/, "ws"), token };
  }

  async ensureRunning(): Promise<JupyterEndpoint> {
    await waitForStatus(this.endpoint, 10_000);
    return this.endpoint;
  }

  async stop(): Promise<void> {}
}

async function waitForStatus(endpoint: JupyterEndpoint, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint.baseUrl}api/status`, {
        headers: { Authorization: `token ${endpoint.token}` },
      });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
      if (res.status === 403 || res.status === 401) break;
    } catch (err) {
      last = String((err as Error).cause ?? err);
    }
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new JupyterStartError(
    `The Jupyter server at ${endpoint.baseUrl} did not become ready within ${timeoutMs} ms (${last}).`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
