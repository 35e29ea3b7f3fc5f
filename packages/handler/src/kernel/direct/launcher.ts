/**
 * The direct transport: Node launches ipykernel itself (no Jupyter server) and talks to it over
 * ZMQ. A launch writes the connection file, connects the sockets, spawns the kernel in its own
 * process group and resolves when kernel_info was answered and iopub is live.
 */
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";
import {
  KernelLaunchError,
  type KernelChannel,
  type KernelLauncher,
  type LaunchOptions,
} from "../transport.js";
import { DirectKernelChannel } from "./channel.js";
import { ensureRuntimeDir, removeKernelFiles, writeConnectionFile, type KernelFiles } from "./connection.js";
import {
  kernelCommand,
  kernelSpecDirs,
  KernelSpecError,
  resolveKernelSpec,
  type KernelSpec,
} from "./kernelspec.js";
import { DEFAULT_OUTPUT_LIMITS, KernelOutputLog, type LogFn, type OutputLogLimits } from "./output-log.js";
import { KernelProcess } from "./process.js";
import { KernelSockets } from "./sockets.js";
import { WireCodec } from "./wire.js";

export interface DirectKernelLauncherOptions {
  /** The interpreter (JUPYTER_PYTHON), e.g. /usr/bin/python3; replaces a spec's bare `python`. */
  python: string;
  /** Our state root: connection files go to `<stateRoot>/runtime`, user kernelspecs live in `<stateRoot>/data`. */
  stateRoot: string;
  kernelName?: string;
  /** The kernel's whole environment (already scrubbed), before LaunchOptions.env and the spec's env. */
  baseEnv: Record<string, string>;
  heartbeatIntervalMs?: number;
  heartbeatMisses?: number;
  log?: LogFn;
  /** Where kernelspecs are looked up; defaults to jupyter_client's order (see kernelSpecDirs). */
  kernelSpecDirs?: readonly string[];
  /** Caps on the kernel's own stdout/stderr lines in the log. */
  outputLimits?: Partial<OutputLogLimits>;
}

export const DEFAULT_LAUNCH_TIMEOUT_MS = 30_000;
const CLOSED_DURING_LAUNCH = "the kernel launcher was closed while this kernel started";
const INSTALL_HINT =
  "install it with `apt-get install -y python3-ipykernel`, or set JUPYTER_PYTHON to a Python that has ipykernel";

export class DirectKernelLauncher implements KernelLauncher {
  readonly kind = "direct" as const;
  /** Every kernel launched and not gone yet, starting ones included. */
  private readonly channels = new Set<DirectKernelChannel>();
  private readonly ready = new Set<DirectKernelChannel>();
  private readonly log: LogFn;
  private readonly runtimeDir: string;
  private readonly specDirs: readonly string[];
  private closed = false;

  constructor(private readonly options: DirectKernelLauncherOptions) {
    this.log = options.log ?? (() => undefined);
    this.runtimeDir = path.join(options.stateRoot, "runtime");
    this.specDirs =
      options.kernelSpecDirs ?? kernelSpecDirs(options.python, options.stateRoot, options.baseEnv);
  }

  get kernelName(): string {
    return this.options.kernelName ?? "python3";
  }

  /** The kernels launched (ready) and not gone yet. */
  get liveKernels(): readonly KernelChannel[] {
    return [...this.ready];
  }

  async prepare(): Promise<void> {
    await ensureRuntimeDir(this.runtimeDir).catch((err: Error) => {
      throw new KernelLaunchError(`cannot create the runtime directory ${this.runtimeDir}: ${err.message}`);
    });
  }

  async launch(launch: LaunchOptions): Promise<KernelChannel> {
    if (this.closed) throw new KernelLaunchError("the kernel launcher is closed");
    const timeoutMs = launch.timeoutMs ?? DEFAULT_LAUNCH_TIMEOUT_MS;
    const started = performance.now();
    const [spec] = await Promise.all([this.spec(), this.checkPaths(launch.workDir), this.prepare()]);
    const id = randomUUID();
    const files = await writeConnectionFile(this.runtimeDir, id, this.kernelName).catch((err: Error) => {
      throw new KernelLaunchError(`cannot write a connection file in ${this.runtimeDir}: ${err.message}`);
    });
    const fields = { kernel: id, label: launch.label };
    const output = new KernelOutputLog(this.log, fields, {
      ...DEFAULT_OUTPUT_LIMITS,
      ...this.options.outputLimits,
    });
    const command = kernelCommand(
      spec,
      this.options.python,
      files.connectionFile,
      this.options.baseEnv,
      launch.env,
    );
    // What jupyter_client sets for every kernel: ipykernel then knows it has a frontend (no
    // "Ctrl-C will not work" banner on stdout at each start) and exits if it is orphaned to init.
    command.env.JPY_PARENT_PID = String(process.pid);
    const codec = new WireCodec(files.info.key, randomUUID());
    const sockets = new KernelSockets(files.endpoints, codec.session);
    let kernel: KernelProcess;
    try {
      kernel = await KernelProcess.spawn({
        argv: command.argv,
        env: command.env,
        cwd: launch.workDir,
        output,
      });
    } catch (err) {
      sockets.close();
      await removeKernelFiles(files);
      throw new KernelLaunchError(`could not start the kernel: ${(err as Error).message}`);
    }
    const channel = new DirectKernelChannel({
      id,
      label: launch.label,
      process: kernel,
      sockets,
      codec,
      files,
      output,
      interruptMode: spec.interruptMode,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1000,
      heartbeatMisses: this.options.heartbeatMisses ?? 3,
      log: this.log,
    });
    // Registered while it starts, so that close() meanwhile stops it (and this launch fails).
    this.channels.add(channel);
    void channel.exited.then(() => {
      this.channels.delete(channel);
      this.ready.delete(channel);
    });
    if (this.closed) void channel.shutdown(0);
    await this.untilReady(channel, kernel, output, files, timeoutMs - (performance.now() - started));
    if (this.closed) {
      await channel.shutdown(0);
      throw new KernelLaunchError(CLOSED_DURING_LAUNCH);
    }
    this.ready.add(channel);
    return channel;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.channels].map((channel) => channel.shutdown()));
  }

  private async untilReady(
    channel: DirectKernelChannel,
    kernel: KernelProcess,
    output: KernelOutputLog,
    files: KernelFiles,
    remainingMs: number,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">(
      (resolve) => (timer = setTimeout(() => resolve("timeout"), remainingMs)),
    );
    let outcome: "ready" | "timeout" | "gone";
    try {
      outcome = await Promise.race([channel.waitUntilReady().then(() => "ready" as const), timedOut]);
    } catch {
      outcome = "gone";
    } finally {
      clearTimeout(timer);
    }
    if (outcome === "ready") return;
    const exit = kernel.exitStatus; // before we kill it: how it ended on its own, if it did
    // Kill what we started, wait for its files to go, then say why in words someone can act on.
    await channel.shutdown(0);
    if (this.closed) throw new KernelLaunchError(CLOSED_DURING_LAUNCH);
    throw new KernelLaunchError(this.failureMessage(outcome, exit, output.recentLines(), files, remainingMs));
  }

  private failureMessage(
    outcome: "timeout" | "gone",
    exit: { code: number | null; signal: string | null } | undefined,
    lines: string[],
    files: KernelFiles,
    timeoutMs: number,
  ): string {
    const tail = lines.length ? `; its last output: ${lines.slice(-8).join(" | ")}` : "";
    const python = this.options.python;
    if (lines.some((line) => /No module named '?ipykernel/.test(line))) {
      return `ipykernel is not installed for ${python}: ${INSTALL_HINT}${tail}`;
    }
    if (exit?.code === 127 || lines.some((line) => /not found|No such file/.test(line))) {
      return `the kernel command was not found (JUPYTER_PYTHON is ${python}): ${INSTALL_HINT}${tail}`;
    }
    if (outcome === "timeout" && !exit) {
      return `the kernel did not answer kernel_info within ${Math.round(timeoutMs)} ms (connection file ${path.basename(files.connectionFile)})${tail}`;
    }
    const how = exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${exit?.code ?? "?"}`;
    return `the kernel ${how} before it was ready${tail}`;
  }

  private async spec(): Promise<KernelSpec> {
    try {
      return await resolveKernelSpec(this.kernelName, this.specDirs);
    } catch (err) {
      if (err instanceof KernelSpecError) throw new KernelLaunchError(err.message);
      throw err;
    }
  }

  /** Fails fast, with the fix, on what would otherwise be an opaque exit 127 or ENOENT. */
  private async checkPaths(workDir: string): Promise<void> {
    const { python } = this.options;
    if (path.isAbsolute(python)) {
      try {
        await access(python, constants.X_OK);
      } catch {
        throw new KernelLaunchError(`Python not found at ${python} (JUPYTER_PYTHON): ${INSTALL_HINT}`);
      }
    }
    const info = await stat(workDir).catch(() => undefined);
    if (!info?.isDirectory())
      throw new KernelLaunchError(`the kernel's working directory ${workDir} does not exist`);
  }
}
