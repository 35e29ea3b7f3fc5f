import { KernelAPI, KernelConnection, KernelSpecAPI, type ServerConnection } from "@jupyterlab/services";
import path from "node:path";
import type { JupyterEndpoint, JupyterServer } from "../../jupyter/server-process.js";
import {
  KernelLaunchError,
  type KernelChannel,
  type KernelLauncher,
  type LaunchOptions,
} from "../transport.js";
import { errorMessage } from "../wait.js";
import { bounded } from "./bounds.js";
import { deleteKernelQuietly, ServicesKernelChannel, type ServicesLog } from "./channel.js";
import { serverRequestError, serverUnavailableError, unknownKernelError } from "./launch-errors.js";
import { displayUrl, serverSettingsFor, withRequestTimeout } from "./settings.js";

export interface JupyterServerKernelLauncherOptions {
  /** The kernelspec to start (JUPYTER_KERNEL_NAME); python3 by default. */
  kernelName?: string;
  log?: ServicesLog;
  /** Bound on each REST request and websocket handshake to the server. */
  requestTimeoutMs?: number;
}

const DEFAULT_LAUNCH_TIMEOUT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** A kernel that failed its launch or outlived close() gets this long to go. */
const CLEANUP_GRACE_MS = 2000;

/** What we know about the server we currently talk to; rebuilt when the endpoint changes. */
interface ServerLink {
  endpoint: JupyterEndpoint;
  settings: ServerConnection.ISettings;
  url: string;
  kernelNames?: string[];
}

/**
 * Kernels on a Jupyter server, through @jupyterlab/services: an external one (JUPYTER_URL) or one we
 * run. The server owns the kernel processes, so channels have no pid and shutdown goes through REST.
 */
export class JupyterServerKernelLauncher implements KernelLauncher {
  readonly kind = "jupyter-server" as const;
  private readonly kernelName: string;
  private readonly log: ServicesLog;
  private readonly requestTimeoutMs: number;
  private readonly live = new Set<ServicesKernelChannel>();
  private readonly launching = new Set<Promise<unknown>>();
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;
  private link: ServerLink | undefined;

  constructor(
    private readonly server: JupyterServer,
    options: JupyterServerKernelLauncherOptions = {},
  ) {
    this.kernelName = options.kernelName ?? "python3";
    this.log = options.log ?? (() => undefined);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Starts (or reaches) the server and checks the kernel name, so a bad config fails early. */
  async prepare(): Promise<void> {
    this.throwIfClosed();
    await this.checkKernelName(await this.connect());
  }

  async launch(options: LaunchOptions): Promise<KernelChannel> {
    this.throwIfClosed();
    const timeoutMs = options.timeoutMs ?? DEFAULT_LAUNCH_TIMEOUT_MS;
    const abandon = new AbortController();
    const signal = AbortSignal.any([abandon.signal, this.closing.signal]);
    const progress = { stage: "reaching the Jupyter server" };
    const started = Date.now();
    const work = this.startKernel(options, signal, progress);
    // Once the race below is lost, nobody awaits `work`; it cleans up after itself and is tracked.
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.launching.add(settled);
    void settled.then(() => this.launching.delete(settled));
    try {
      return await bounded(work, {
        timeoutMs,
        onTimeout: () => {
          abandon.abort();
          return new KernelLaunchError(`No kernel started within ${timeoutMs} ms (stuck ${progress.stage}).`);
        },
        signal: this.closing.signal,
        onAbort: () => new KernelLaunchError("The kernel launcher was closed during the launch."),
      });
    } catch (err) {
      this.log("kernel launch failed", {
        label: options.label,
        stage: progress.stage,
        ms: Date.now() - started,
        error: errorMessage(err),
      });
      throw err instanceof KernelLaunchError ? err : new KernelLaunchError(errorMessage(err));
    }
  }

  /** Shuts down every kernel it launched, waits for launches in flight to clean up, stops the server. */
  close(): Promise<void> {
    this.closed ??= this.closeAll();
    return this.closed;
  }

  private async closeAll(): Promise<void> {
    this.closing.abort();
    const launches = Promise.all([...this.launching]);
    await this.shutdownLive();
    // A launch still waiting on startNew deletes its kernel as soon as it learns the id.
    await bounded(launches, { timeoutMs: this.requestTimeoutMs + CLEANUP_GRACE_MS }).catch(() =>
      this.log("kernel launches were still in flight at close", { count: this.launching.size }),
    );
    await this.shutdownLive();
    await this.server
      .stop()
      .catch((err: unknown) => this.log("stopping the Jupyter server failed", { error: errorMessage(err) }));
  }

  private async shutdownLive(): Promise<void> {
    await Promise.all([...this.live].map((channel) => channel.shutdown(CLEANUP_GRACE_MS)));
  }

  private async startKernel(
    options: LaunchOptions,
    signal: AbortSignal,
    progress: { stage: string },
  ): Promise<ServicesKernelChannel> {
    const abandoned = () => new KernelLaunchError("The launch was abandoned.");
    const link = await bounded(this.connect(), { signal, onAbort: abandoned });
    progress.stage = "checking the kernel name";
    await bounded(this.checkKernelName(link), { signal, onAbort: abandoned });
    progress.stage = "asking the server for a kernel";
    // Not cut short by `signal`: we need the id of a kernel the server starts late, to delete it.
    const model = await this.startNew(link, options);
    if (signal.aborted) {
      await deleteKernelQuietly(model.id, link.settings, CLEANUP_GRACE_MS, this.log);
      throw abandoned();
    }
    const kernel = new KernelConnection({ model, serverSettings: link.settings, handleComms: false });
    const channel = new ServicesKernelChannel(kernel, {
      settings: link.settings,
      requestTimeoutMs: this.requestTimeoutMs,
      log: this.log,
      onShutdown: (done) => this.live.delete(done),
    });
    this.live.add(channel);
    try {
      progress.stage = "waiting for the kernel's kernel_info reply";
      await channel.waitUntilReady(signal);
      if (options.env && Object.keys(options.env).length > 0) {
        progress.stage = "setting the kernel's environment";
        await this.applyEnvironment(channel, options.env, signal);
      }
      if (signal.aborted) throw abandoned();
    } catch (err) {
      await channel.shutdown(CLEANUP_GRACE_MS);
      if (err instanceof KernelLaunchError) throw err;
      throw new KernelLaunchError(
        `Kernel ${model.id} on ${link.url} failed while ${progress.stage}: ${errorMessage(err)}`,
      );
    }
    return channel;
  }

  private async connect(): Promise<ServerLink> {
    let endpoint: JupyterEndpoint;
    try {
      endpoint = await this.server.ensureRunning();
    } catch (err) {
      throw serverUnavailableError(err, this.server.state === "external");
    }
    // Our own server gets a new endpoint (port, token) when it restarts: start over with it.
    if (this.link?.endpoint !== endpoint) {
      this.link = {
        endpoint,
        settings: serverSettingsFor(endpoint, this.requestTimeoutMs),
        url: displayUrl(endpoint.baseUrl),
      };
    }
    return this.link;
  }

  /**
   * Checked before startNew: for an unknown name the server answers 500 with a Python traceback
   * (which the library prints through console.error) rather than saying what it has.
   */
  private async checkKernelName(link: ServerLink): Promise<void> {
    if (link.kernelNames?.includes(this.kernelName)) return;
    try {
      link.kernelNames = Object.keys((await KernelSpecAPI.getSpecs(link.settings)).kernelspecs);
    } catch (err) {
      throw serverRequestError(err, link.url, "listing its kernelspecs");
    }
    if (!link.kernelNames.includes(this.kernelName)) {
      throw unknownKernelError(this.kernelName, link.url, link.kernelNames);
    }
  }

  private async startNew(link: ServerLink, options: LaunchOptions): Promise<KernelAPI.IModel> {
    const serverPath = this.serverPath(options.workDir);
    // The library types only `name`, but sends the object as the JSON body, and the server reads
    // `path` (relative to its root) as the kernel's working directory.
    const body =
      serverPath === undefined ? { name: this.kernelName } : { name: this.kernelName, path: serverPath };
    const timeoutMs = Math.max(this.requestTimeoutMs, options.timeoutMs ?? DEFAULT_LAUNCH_TIMEOUT_MS);
    try {
      return await KernelAPI.startNew(
        body as KernelAPI.IKernelOptions,
        withRequestTimeout(link.settings, timeoutMs),
      );
    } catch (err) {
      throw serverRequestError(err, link.url, "starting a kernel");
    }
  }

  /** workDir as a path under the server's root, when the server runs here and workDir is inside it. */
  private serverPath(workDir: string): string | undefined {
    const root = this.server.workDir;
    if (root === undefined) return undefined; // a server elsewhere: our paths mean nothing to it
    const relative = path.relative(root, path.resolve(workDir));
    if (relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative))
      return undefined;
    return relative.split(path.sep).join("/");
  }

  /** The server cannot pass an environment to one kernel, so the kernel sets it on itself. */
  private async applyEnvironment(
    channel: ServicesKernelChannel,
    env: Record<string, string>,
    signal: AbortSignal,
  ): Promise<void> {
    // A JSON string literal is a valid Python string literal; json.loads turns it back into the dict.
    const code = [
      "import json as _jmcp_json, os as _jmcp_os",
      `_jmcp_os.environ.update(_jmcp_json.loads(${JSON.stringify(JSON.stringify(env))}))`,
      "del _jmcp_json, _jmcp_os",
    ].join("\n");
    const reply = await bounded(
      channel.execute({ code, silent: true, store_history: false }, () => undefined),
      { signal, onAbort: () => new KernelLaunchError("The launch was abandoned.") },
    );
    if (reply.status !== "ok") throw new Error(`setting ${Object.keys(env).length} variables failed`);
  }

  private throwIfClosed(): void {
    if (this.closing.signal.aborted) throw new KernelLaunchError("The kernel launcher was closed.");
  }
}
