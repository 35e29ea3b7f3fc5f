import { KernelBusyError } from "./errors.js";
import { Execution, type ExecutionResult } from "./execution.js";
import { KernelQueue } from "./queue.js";
import { KernelLifecycle, type KernelState } from "./lifecycle.js";
import { inspectVariableExpression, listVariablesExpression, type VariableSummary } from "./introspection.js";
import { KernelHolder } from "./holder.js";
import { startProgress } from "./progress.js";
import type { ExecuteOptions, KernelSessionOptions, KernelStatus } from "./session-types.js";
import { KernelGoneError, type ExecuteReply, type KernelChannel } from "./transport.js";
import { bounded, errorMessage, TimeoutError } from "./wait.js";

export type { ExecuteOptions, KernelSessionOptions, KernelStatus } from "./session-types.js";
export { KernelBusyError } from "./errors.js";

/** Executions that outlived their call and were not yet read to the end; older ones are dropped. */
const KEPT_UNREAD = 8;

/**
 * One caller's kernel: a FIFO queue (each call gets exactly its own output), timeout → interrupt →
 * restart, and introspection; the kernel process itself (start, restart, stop, death) is the
 * holder's (holder.ts). The lifecycle (lifecycle.ts) holds the state; these two make the
 * transitions, and every wait in it is bounded.
 */
export class KernelSession {
  readonly caller: string;
  private readonly kernel: KernelHolder;
  private readonly queue: KernelQueue;
  private current: Execution | undefined;
  private readonly executions = new Map<string, Execution>();
  private executionCount: number | null = null;
  /** Notes for the next execution's result, from the server's own work (a restore, a checkpoint). */
  private readonly announcements: string[] = [];
  /** Counts what can change the namespace (cells run, restarts): sessions checkpoint when it moves. */
  mutations = 0;
  lastUsedAt = Date.now();

  constructor(private readonly options: KernelSessionOptions) {
    this.caller = options.caller;
    this.queue = new KernelQueue(options.maxQueued ?? 32);
    this.kernel = new KernelHolder({
      caller: options.caller,
      place: options.place,
      acquireKernel: options.acquireKernel,
      ...(options.shutdownGraceMs !== undefined ? { shutdownGraceMs: options.shutdownGraceMs } : {}),
      ...(options.log ? { log: options.log } : {}),
      onStarted: () => (this.executionCount = null),
      onRestart: (why) => {
        // A restart ends the cell it cuts off; a timed-out cell's own restart ends it as a timeout.
        const running = this.current;
        if (running && !running.done && !running.timedOut) {
          running.kernelRestarted = true;
          running.notes.push(
            `The kernel was restarted while this cell ran (${why}): all variables are lost.`,
          );
          running.finish("error");
        }
      },
    });
  }

  private get lifecycle(): KernelLifecycle {
    return this.kernel.lifecycle;
  }

  get state(): KernelState {
    return this.lifecycle.state;
  }

  /** Holds (or is about to hold) a kernel process: counts against MCP_MAX_KERNELS. */
  get holdsKernel(): boolean {
    const s = this.lifecycle.state;
    return s !== "not_started" && s !== "stopped" && s !== "dead" && s !== "stopping";
  }

  /** Idle with nothing queued: the pool may shut it down. */
  get evictable(): boolean {
    return this.lifecycle.state === "idle" && this.queue.size === 0 && !this.current;
  }

  touch(): void {
    this.lastUsedAt = Date.now();
  }

  /** Tells the caller something with the next execution's result (once). */
  announce(note: string): void {
    if (this.announcements.length < 8) this.announcements.push(note);
  }

  /** Starts the kernel if needed (init, keep-warm pings). */
  async warm(): Promise<void> {
    await this.queue.run(() => this.kernel.ensure());
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    this.touch();
    const execution = new Execution(code, options.timeoutMs, this.options.maxOutputChars ?? 100_000);
    const malformed = loneSurrogateAt(code);
    if (malformed !== undefined) {
      // The kernel could never decode it (JSON carries it, Python's UTF-8 encoder refuses it).
      execution.notes.push(
        `The code holds a lone UTF-16 surrogate at index ${malformed}, which is not valid text; ` +
          "nothing was run and variables are unchanged. Remove it or escape it in a string literal (e.g. '\\ud800').",
      );
      execution.finish("error");
      return execution.snapshot(true);
    }
    this.remember(execution);
    this.queue
      .run(() => this.run(execution))
      .catch((err: unknown) => {
        execution.notes.push(`The kernel could not run this cell: ${errorMessage(err)}`);
        execution.finish("error");
      });
    const ticker = options.progress ? startProgress(execution, options.progress) : undefined;
    try {
      await execution.waitFor(options.budgetMs);
    } finally {
      clearInterval(ticker);
    }
    if (!execution.done) {
      const seconds = Math.round((options.budgetMs ?? 0) / 1000);
      execution.notes.push(
        `Still running after ${seconds} s; call get_execution_output with execution_id ${execution.id} for the rest, or interrupt_kernel to stop it.`,
      );
    }
    const result = execution.snapshot(true);
    if (!execution.done) execution.notes.pop();
    else this.executions.delete(execution.id);
    return result;
  }

  /** The output a running or unread execution produced since it was last read. */
  async executionOutput(id: string, waitMs: number): Promise<ExecutionResult | undefined> {
    this.touch();
    const execution = this.executions.get(id);
    if (!execution) return undefined;
    await execution.waitFor(waitMs);
    const result = execution.snapshot(true);
    if (execution.done) this.executions.delete(id);
    return result;
  }

  /**
   * Waits for an execution to end (its hard timeout bounds the wait) and returns all of its output,
   * not only the unread part. It stays readable by get_execution_output (among the last few kept).
   * Undefined when this session no longer knows the id.
   */
  async awaitExecution(id: string): Promise<ExecutionResult | undefined> {
    const execution = this.executions.get(id);
    if (!execution) return undefined;
    await execution.waitFor(undefined);
    this.touch();
    return execution.snapshot(false);
  }

  /**
   * Stops one execution: interrupts it when it runs, drops it when it still waits in the queue.
   * False when it already ended or is unknown.
   */
  async cancelExecution(id: string, why: string): Promise<boolean> {
    const execution = this.executions.get(id);
    if (!execution || execution.done) return false;
    if (this.current === execution) {
      execution.notes.push(why);
      return (await this.interrupt()).interrupted;
    }
    execution.notes.push(`${why}; it never ran.`);
    execution.finish("error");
    return true;
  }

  async interrupt(): Promise<{ interrupted: boolean; running: string | null }> {
    this.touch();
    const running = this.current;
    const channel = this.kernel.channel;
    if (!channel || !running || running.done) return { interrupted: false, running: null };
    this.lifecycle.tryFire("interrupt");
    await bounded(channel.interrupt(), 5_000, "the interrupt").catch((err: unknown) =>
      this.options.log?.("interrupt failed", { caller: this.caller, error: errorMessage(err) }),
    );
    return { interrupted: true, running: running.id };
  }

  /** Restarts the kernel; concurrent calls share one restart. Ends with a kernel or an error. */
  async restart(why = "restart_kernel was called"): Promise<void> {
    this.touch();
    await this.kernel.restart(why);
    this.mutations += 1;
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
      caller: this.caller,
      state: this.lifecycle.state,
      kernelId: this.kernel.channel?.id ?? null,
      kernelName: this.options.kernelName,
      transport: this.options.transport,
      executionCount: this.executionCount,
      queued: this.queue.size,
      running: this.current?.id ?? null,
      startedAt: this.kernel.startedAt?.toISOString() ?? null,
      restarts: this.kernel.restarts,
    };
  }

  /** Stops the kernel (eviction, idle, process end); the next call starts a fresh one and says why. */
  shutdown(reason: string): Promise<void> {
    return this.kernel.shutdown(reason);
  }

  private async run(execution: Execution): Promise<void> {
    // Cancelled while it waited in the queue (cancelExecution).
    if (execution.done) return;
    const channel = await this.kernel.ensure();
    this.mutations += 1;
    execution.notes.push(...this.announcements.splice(0));
    const lost = this.kernel.takeLostState();
    if (lost) {
      execution.kernelRestarted = true;
      execution.notes.push(`This runs on a fresh kernel because ${lost}: earlier variables are gone.`);
    }
    this.lifecycle.fire("run");
    this.current = execution;
    execution.startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    if (execution.timeoutMs !== undefined) {
      timer = setTimeout(() => void this.onTimeout(channel, execution), execution.timeoutMs);
    }
    try {
      const reply = await channel.execute(
        // We send one request at a time, so there is never a queue at the kernel to abort; with
        // stop_on_error ipykernel would abort our next request if it came within its abort window.
        { code: execution.code, store_history: true, stop_on_error: false },
        (message) => {
          if (message.header.msg_type === "execute_input") {
            const count = message.content.execution_count;
            if (typeof count === "number") execution.executionCount = count;
          }
          execution.collector.handle(message);
        },
      );
      this.finishWithReply(execution, reply);
    } catch (err) {
      // The reply can beat the exit notice: make sure the next call does not pick this kernel again.
      if (err instanceof KernelGoneError) this.kernel.markGone(channel, err.message);
      // A restart or a timeout's restart ends the cell itself; only a death is ours to report.
      if (execution.timedOut) await execution.finished;
      if (!execution.done) {
        execution.kernelRestarted = true;
        execution.notes.push(
          err instanceof KernelGoneError
            ? `The kernel died while running this cell (${err.message}); all variables and imports are lost, and the next call starts a fresh kernel.`
            : `The execution was cut off: ${errorMessage(err)}`,
        );
        execution.finish("error");
      }
    } finally {
      clearTimeout(timer);
      if (execution.executionCount !== null) this.executionCount = execution.executionCount;
      if (this.current === execution) this.current = undefined;
      this.lifecycle.tryFire("done");
    }
  }

  private finishWithReply(execution: Execution, reply: ExecuteReply): void {
    if (typeof reply.execution_count === "number") execution.executionCount = reply.execution_count;
    if (execution.done) return;
    if (execution.timedOut) {
      const seconds = +((execution.timeoutMs ?? 0) / 1000).toFixed(1);
      execution.notes.push(
        `Timed out after ${seconds} s; the kernel was interrupted and variables are kept.`,
      );
      execution.finish("timeout");
    } else {
      if (reply.status === "aborted")
        execution.notes.push("The kernel aborted this cell without running it.");
      execution.finish(reply.status === "ok" ? "ok" : "error");
    }
  }

  private async onTimeout(channel: KernelChannel, execution: Execution): Promise<void> {
    if (execution.done || this.current !== execution) return;
    execution.timedOut = true;
    this.lifecycle.tryFire("interrupt");
    await bounded(channel.interrupt(), 2_000, "the interrupt").catch(() => undefined);
    await execution.waitFor(this.options.interruptGraceMs ?? 2_000);
    if (execution.done) return;
    const seconds = +((execution.timeoutMs ?? 0) / 1000).toFixed(1);
    execution.kernelRestarted = true;
    execution.notes.push(
      `Timed out after ${seconds} s and the interrupt did not stop the cell, so the kernel was restarted: all variables are lost.`,
    );
    await this.restart("a timed-out cell ignored the interrupt").catch((err: unknown) =>
      execution.notes.push(
        `The restart failed too (${errorMessage(err)}); the next call starts a fresh kernel.`,
      ),
    );
    execution.finish("timeout");
  }

  /**
   * Runs `code` silently (no history, no output to anyone, execution count unchanged), then
   * evaluates `expression`, whose repr must be JSON, and returns it parsed. Queued like any call,
   * but waits its turn instead of refusing when busy: for the server's own work on the kernel
   * (checkpoints, restores), never for caller code. Bounded like introspection.
   */
  internal(code: string, expression: string, timeoutMs: number): Promise<unknown> {
    return this.queue.run(() => this.evaluateNow(code, expression, timeoutMs));
  }

  /** Introspection for the caller: refused while the kernel is busy, so it never waits behind a cell. */
  private evaluate(expression: string, timeoutMs: number): Promise<unknown> {
    this.touch();
    if (this.current || this.queue.size > 0) {
      return Promise.reject(
        new KernelBusyError(
          "The kernel is busy running a cell; try again when it is idle, or call interrupt_kernel.",
        ),
      );
    }
    return this.queue.run(() => this.evaluateNow("", expression, timeoutMs));
  }

  /**
   * Evaluates through user_expressions and parses the JSON it renders. A hung evaluation (a
   * __repr__ that never returns) is interrupted, then the kernel restarted, before the queue moves
   * on: the next call must never inherit a busy kernel.
   */
  private async evaluateNow(code: string, expression: string, timeoutMs: number): Promise<unknown> {
    const channel = await this.kernel.ensure();
    this.lifecycle.fire("run");
    const reply = channel.execute(
      { code, silent: true, store_history: false, user_expressions: { out: expression } },
      () => {},
    );
    try {
      return parseExpression(await bounded(reply, timeoutMs, "introspection"));
    } catch (err) {
      if (err instanceof KernelGoneError) this.kernel.markGone(channel, err.message);
      if (!(err instanceof TimeoutError)) throw err;
      this.lifecycle.tryFire("interrupt");
      await bounded(channel.interrupt(), 2_000, "the interrupt").catch(() => undefined);
      const settled = await bounded(reply, this.options.interruptGraceMs ?? 2_000, "the interrupt").then(
        () => true,
        () => false,
      );
      if (!settled) await this.restart("an introspection call hung and ignored the interrupt");
      throw new KernelBusyError(
        `The kernel did not answer within ${timeoutMs / 1000} s (a variable's repr may hang); it was ` +
          (settled ? "interrupted and variables are kept." : "restarted: all variables are lost."),
      );
    } finally {
      this.lifecycle.tryFire("done");
    }
  }

  private remember(execution: Execution): void {
    this.executions.set(execution.id, execution);
    let unread = 0;
    for (const [id, old] of [...this.executions].reverse()) {
      if (old.done && ++unread > KEPT_UNREAD) this.executions.delete(id);
    }
  }
}

function parseExpression(reply: ExecuteReply): unknown {
  const out = reply.user_expressions?.out;
  const text = out?.data?.["text/plain"];
  if (!out || out.status !== "ok" || typeof text !== "string") {
    const failed = out ?? reply;
    throw new Error(`introspection failed: ${failed.ename ?? "no result"} ${failed.evalue ?? ""}`.trim());
  }
  return JSON.parse(text) as unknown;
}

/** Index of the first unpaired UTF-16 surrogate, or undefined for well-formed text. */
export function loneSurrogateAt(text: string): number | undefined {
  const match = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(text);
  return match?.index;
}
