import {
  KernelAPI,
  KernelConnection,
  ServerConnection,
  type Kernel,
  type KernelMessage,
} from "@jupyterlab/services";
import WebSocket from "ws";
import { Execution, type ExecutionResult } from "./execution.js";
import { inspectVariableExpression, listVariablesExpression, type VariableSummary } from "./introspection.js";
import type { IopubMessage } from "./outputs.js";
import type { JupyterEndpoint, JupyterServer } from "./server-process.js";

export interface KernelSessionOptions {
  kernelName?: string;
  maxOutputChars?: number;
  /** Modules imported at every kernel start, e.g. numpy, pandas. */
  preload?: readonly string[];
  /** How long an interrupt may take before we restart the kernel instead. */
  interruptGraceMs?: number;
  log?: (message: string) => void;
}

export interface ExecuteOptions {
  /** Hard limit from the start of the run: on expiry the kernel is interrupted. */
  timeoutMs?: number;
  /** Soft limit on how long this call waits: on expiry the call returns and the cell keeps running. */
  budgetMs?: number;
}

export interface KernelStatus {
  state: string;
  kernelId: string | null;
  kernelName: string;
  executionCount: number | null;
  queued: number;
  running: string | null;
  startedAt: string | null;
  restarts: number;
  server: JupyterServer["state"];
}

export class KernelBusyError extends Error {
  override name = "KernelBusyError";
}

/** Runs after every kernel start; matplotlib needs nothing here (see kernelEnvironment). */
const SETUP_CODE = (preload: readonly string[]) =>
  preload
    .map((m) => `try:\n    import ${m}\nexcept Exception as _e:\n    print('preload of ${m} failed:', _e)`)
    .join("\n");

const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const KEPT_EXECUTIONS = 50;

/**
 * One kernel, one queue. Calls run strictly one after another, so each gets exactly its own output;
 * messages are matched to their request by parent msg_id inside @jupyterlab/services' futures.
 */
export class KernelSession {
  private kernel: KernelConnection | undefined;
  private endpoint: JupyterEndpoint | undefined;
  private connecting: Promise<KernelConnection> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private current: Execution | undefined;
  private readonly executions = new Map<string, Execution>();
  private restarting = false;
  private restartInFlight: Promise<KernelConnection> | undefined;
  private needsSetup = true;
  private stateLost: string | undefined;
  private startedAt: Date | undefined;
  private restarts = 0;
  private executionCount: number | null = null;
  private readonly kernelName: string;
  private readonly maxOutputChars: number;
  private readonly preload: readonly string[];

  constructor(
    private readonly server: JupyterServer,
    private readonly options: KernelSessionOptions = {},
  ) {
    this.kernelName = options.kernelName ?? "python3";
    this.maxOutputChars = options.maxOutputChars ?? 100_000;
    this.preload = (options.preload ?? []).filter((m) => MODULE_NAME.test(m));
  }

  /** Starts the server and kernel if needed and runs the setup code; used at init and by keep-warm pings. */
  async warm(): Promise<void> {
    await this.enqueue(async () => {
      const kernel = await this.ensureKernel();
      await this.setupIfNeeded(kernel);
    });
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    const execution = new Execution(code, options.timeoutMs, this.maxOutputChars);
    this.remember(execution);
    this.enqueue(() => this.run(execution)).catch((err: unknown) => {
      execution.notes.push(`The kernel could not run this cell: ${errorMessage(err)}`);
      execution.finish("error");
    });
    await execution.waitFor(options.budgetMs);
    if (!execution.done) {
      const seconds = Math.round((options.budgetMs ?? 0) / 1000);
      execution.notes.push(
        `Still running after ${seconds} s; call get_execution_output with execution_id ${execution.id} for the rest, or interrupt_kernel to stop it.`,
      );
    }
    const result = execution.snapshot(true);
    if (!execution.done) execution.notes.pop();
    return result;
  }

  /** The output a running or finished execution produced since it was last read. */
  async executionOutput(id: string, waitMs: number): Promise<ExecutionResult | undefined> {
    const execution = this.executions.get(id);
    if (!execution) return undefined;
    await execution.waitFor(waitMs);
    return execution.snapshot(true);
  }

  async interrupt(): Promise<{ interrupted: boolean; running: string | null }> {
    const running = this.current;
    if (!this.kernel || !running) return { interrupted: false, running: null };
    await this.kernel.interrupt();
    return { interrupted: true, running: running.id };
  }

  async restart(): Promise<void> {
    const kernel = await this.ensureKernel();
    await this.restartKernel(kernel, "restart_kernel was called");
  }

  async variables(timeoutMs = 10_000): Promise<VariableSummary[]> {
    const value = await this.evaluate(listVariablesExpression(), timeoutMs);
    return (value as { variables: VariableSummary[] }).variables;
  }

  async inspect(name: string, timeoutMs = 10_000): Promise<VariableSummary | undefined> {
    const value = (await this.evaluate(inspectVariableExpression(name), timeoutMs)) as {
      found: boolean;
      variable?: VariableSummary;
    };
    return value.found ? value.variable : undefined;
  }

  status(): KernelStatus {
    return {
      state: this.kernel ? (this.restarting ? "restarting" : this.kernel.status) : "not_started",
      kernelId: this.kernel?.id ?? null,
      kernelName: this.kernelName,
      executionCount: this.executionCount,
      queued: this.queued,
      running: this.current?.id ?? null,
      startedAt: this.startedAt?.toISOString() ?? null,
      restarts: this.restarts,
      server: this.server.state,
    };
  }

  async shutdown(): Promise<void> {
    const kernel = this.kernel;
    this.kernel = undefined;
    if (kernel && !kernel.isDisposed) {
      await kernel.shutdown().catch(() => undefined);
      kernel.dispose();
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const run = this.tail.then(() => {
      this.queued -= 1;
      return task();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private remember(execution: Execution): void {
    this.executions.set(execution.id, execution);
    for (const [id, old] of this.executions) {
      if (this.executions.size <= KEPT_EXECUTIONS) break;
      if (old.done) this.executions.delete(id);
    }
  }

  private async ensureKernel(): Promise<KernelConnection> {
    // A restart in flight owns the kernel: wait for it rather than start another kernel beside it.
    if (this.restartInFlight) await this.restartInFlight.catch(() => undefined);
    const endpoint = await this.server.ensureRunning();
    const alive = this.kernel && !this.kernel.isDisposed && this.kernel.status !== "dead";
    if (alive && endpoint === this.endpoint) return this.kernel!;
    this.connecting ??= this.connect(endpoint).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(endpoint: JupyterEndpoint): Promise<KernelConnection> {
    if (this.kernel) {
      this.stateLost = this.endpoint === endpoint ? "the kernel died" : "the Jupyter server restarted";
      this.kernel.dispose();
      this.kernel = undefined;
    }
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: endpoint.baseUrl,
      wsUrl: endpoint.wsUrl,
      token: endpoint.token,
      appendToken: true,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const model = await KernelAPI.startNew({ name: this.kernelName }, serverSettings);
    const kernel = await this.attach(model, serverSettings);
    this.kernel = kernel;
    this.endpoint = endpoint;
    this.needsSetup = true;
    this.startedAt = new Date();
    this.executionCount = null;
    return kernel;
  }

  /** A fresh connection to a kernel; status changes count only while it is the current one. */
  private async attach(
    model: Kernel.IModel,
    serverSettings: ServerConnection.ISettings,
  ): Promise<KernelConnection> {
    const kernel = new KernelConnection({ model, serverSettings, handleComms: false });
    kernel.statusChanged.connect((_, status) => {
      if (kernel === this.kernel) this.onStatus(status);
    });
    await kernel.info;
    return kernel;
  }

  private onStatus(status: string): void {
    if (this.restarting || (status !== "autorestarting" && status !== "dead")) return;
    // The server restarted a kernel that died under us: whatever was running is lost, and so is state.
    this.needsSetup = true;
    this.restarts += 1;
    this.startedAt = new Date();
    this.executionCount = null;
    const running = this.current;
    if (running && !running.done) {
      running.kernelRestarted = true;
      running.notes.push(
        "The kernel died while running this cell (it crashed or exited) and was restarted: all variables and imports are lost.",
      );
      running.finish("error");
    } else {
      this.stateLost = "the kernel died";
    }
  }

  private async setupIfNeeded(kernel: KernelConnection): Promise<void> {
    if (!this.needsSetup) return;
    if (kernel.status === "autorestarting" || kernel.status === "restarting") await waitUntilReady(kernel);
    const code = SETUP_CODE(this.preload);
    if (code) await kernel.requestExecute({ code, silent: true, store_history: false }).done;
    this.needsSetup = false;
  }

  private async run(execution: Execution): Promise<void> {
    const kernel = await this.ensureKernel();
    await this.setupIfNeeded(kernel);
    if (this.stateLost) {
      execution.kernelRestarted = true;
      execution.notes.push(
        `This runs on a fresh kernel because ${this.stateLost}: earlier variables are gone.`,
      );
      this.stateLost = undefined;
    }
    this.current = execution;
    execution.startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const future = kernel.requestExecute(
        { code: execution.code, store_history: true, allow_stdin: false, stop_on_error: true },
        true,
      );
      future.onIOPub = (msg) => {
        if (msg.header.msg_type === "execute_input") {
          const count = (msg.content as { execution_count?: number }).execution_count;
          if (typeof count === "number") execution.executionCount = count;
        }
        execution.collector.handle(msg as unknown as IopubMessage);
      };
      if (execution.timeoutMs !== undefined) {
        timer = setTimeout(() => void this.onTimeout(kernel, execution), execution.timeoutMs);
      }
      const reply = await Promise.race([future.done, execution.finished.then(() => undefined)]);
      if (reply && !execution.done) {
        const content = reply.content as KernelMessage.IExecuteReplyMsg["content"];
        if (typeof content.execution_count === "number") execution.executionCount = content.execution_count;
        if (execution.timedOut) {
          const seconds = +((execution.timeoutMs ?? 0) / 1000).toFixed(1);
          execution.notes.push(
            `Timed out after ${seconds} s; the kernel was interrupted and variables are kept.`,
          );
          execution.finish("timeout");
        } else {
          execution.finish(content.status === "ok" ? "ok" : "error");
        }
      }
      if (!execution.done) await execution.finished;
    } catch (err) {
      // After a timeout, onTimeout owns the ending (its restart cancels this request on purpose).
      if (execution.timedOut) await execution.finished;
      if (!execution.done) {
        execution.notes.push(`The execution was cut off: ${errorMessage(err)}`);
        execution.finish("error");
      }
    } finally {
      clearTimeout(timer);
      if (execution.executionCount !== null) this.executionCount = execution.executionCount;
      this.current = undefined;
    }
  }

  private async onTimeout(kernel: KernelConnection, execution: Execution): Promise<void> {
    if (execution.done) return;
    execution.timedOut = true;
    await kernel.interrupt().catch(() => undefined);
    await execution.waitFor(this.options.interruptGraceMs ?? 2000);
    if (execution.done) return;
    const seconds = +((execution.timeoutMs ?? 0) / 1000).toFixed(1);
    execution.kernelRestarted = true;
    execution.notes.push(
      `Timed out after ${seconds} s and the interrupt did not stop the cell, so the kernel was restarted: all variables are lost.`,
    );
    // The cell ends only once the restart is done, so the queue cannot run the next call meanwhile.
    await this.restartKernel(kernel, "a timed-out cell ignored the interrupt").catch((err: unknown) =>
      this.options.log?.(`kernel restart after timeout failed: ${errorMessage(err)}`),
    );
    execution.finish("timeout");
  }

  /**
   * Restarts through the REST API on a connection of our own making. KernelConnection.restart() can
   * race the server's "restarting" status and leave a rejected promise nobody awaits; dropping the
   * old connection first and attaching a new one after the restart avoids that path entirely.
   */
  private restartKernel(kernel: KernelConnection, why: string): Promise<KernelConnection> {
    const work = this.doRestart(kernel, why);
    this.restartInFlight = work;
    return work.finally(() => {
      if (this.restartInFlight === work) this.restartInFlight = undefined;
    });
  }

  private async doRestart(kernel: KernelConnection, why: string): Promise<KernelConnection> {
    this.options.log?.(`restarting kernel: ${why}`);
    this.restarting = true;
    const model = { id: kernel.id, name: kernel.name };
    const serverSettings = kernel.serverSettings;
    let fresh: KernelConnection;
    try {
      if (this.kernel === kernel) this.kernel = undefined;
      kernel.dispose();
      await KernelAPI.restartKernel(model.id, serverSettings);
      fresh = await this.attach(model, serverSettings);
      this.kernel = fresh;
    } catch (err) {
      // Without a kernel, the next call starts a new one and says the state is gone.
      this.stateLost = "a kernel restart failed";
      throw err;
    } finally {
      this.restarting = false;
    }
    this.restarts += 1;
    this.startedAt = new Date();
    this.executionCount = null;
    this.needsSetup = true;
    this.stateLost = undefined;
    const running = this.current;
    if (running && !running.done && !running.timedOut) {
      running.kernelRestarted = true;
      running.notes.push("The kernel was restarted while this cell ran: all variables are lost.");
      running.finish("error");
    }
    await this.setupIfNeeded(fresh);
    return fresh;
  }

  /** Evaluates one expression through user_expressions and parses the JSON it renders. */
  private evaluate(expression: string, timeoutMs: number): Promise<unknown> {
    if (this.current || this.queued > 0) {
      return Promise.reject(
        new KernelBusyError(
          "The kernel is busy running a cell; try again when it is idle, or call interrupt_kernel.",
        ),
      );
    }
    return this.enqueue(async () => {
      const kernel = await this.ensureKernel();
      await this.setupIfNeeded(kernel);
      const future = kernel.requestExecute(
        { code: "", silent: true, store_history: false, user_expressions: { out: expression } },
        true,
      );
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new KernelBusyError("The kernel did not answer in time.")),
          timeoutMs,
        );
      });
      try {
        const reply = await Promise.race([future.done, expired]);
        const content = reply.content as {
          user_expressions?: Record<
            string,
            { status: string; data?: { "text/plain"?: string }; ename?: string; evalue?: string }
          >;
        };
        const out = content.user_expressions?.out;
        if (!out || out.status !== "ok" || typeof out.data?.["text/plain"] !== "string") {
          throw new Error(`introspection failed: ${out?.ename ?? "no result"} ${out?.evalue ?? ""}`.trim());
        }
        return JSON.parse(out.data["text/plain"]) as unknown;
      } finally {
        clearTimeout(timer);
      }
    });
  }
}

function waitUntilReady(kernel: KernelConnection, timeoutMs = 30_000): Promise<void> {
  if (kernel.status === "idle" || kernel.status === "busy") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      kernel.statusChanged.disconnect(check);
      reject(new Error(`the kernel did not come back within ${timeoutMs} ms (status ${kernel.status})`));
    }, timeoutMs);
    const check = (_: unknown, status: string) => {
      if (status === "idle" || status === "busy") {
        clearTimeout(timer);
        kernel.statusChanged.disconnect(check);
        resolve();
      }
    };
    kernel.statusChanged.connect(check);
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
