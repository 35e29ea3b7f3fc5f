import {
  KernelAPI,
  ServerConnection,
  type Kernel,
  type KernelConnection,
  type KernelMessage,
} from "@jupyterlab/services";
import {
  KernelGoneError,
  type ExecuteReply,
  type ExecuteRequest,
  type IopubMessage,
  type KernelChannel,
  type KernelExit,
} from "../transport.js";
import { errorMessage } from "../wait.js";
import { bounded, sleep } from "./bounds.js";
import { watchKernel, type KernelWatch } from "./kernel-watch.js";
import { withAbortSignal } from "./settings.js";

export type ServicesLog = (message: string, fields?: Record<string, unknown>) => void;

export interface ServicesChannelOptions {
  settings: ServerConnection.ISettings;
  /** Bound on interrupt requests and on how long a lost websocket may take to come back. */
  requestTimeoutMs: number;
  log: ServicesLog;
  /** Called once shutdown() has finished, so the launcher stops tracking this channel. */
  onShutdown: (channel: ServicesKernelChannel) => void;
}

export const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
/** On top of graceMs: the server's own SIGTERM/SIGKILL steps and the HTTP round trips. */
const SHUTDOWN_MARGIN_MS = 3000;
/** The library's one kernel_info can go unanswered if it beat the server's iopub subscription. */
const KERNEL_INFO_RETRY_MS = 2000;
/** While a cell runs: how often we check the kernel is still the process we started. */
const PROBE_INTERVAL_MS = 5000;

type Forward = (message: KernelMessage.IMessage) => void;

/** One kernel on a Jupyter server, spoken to through a KernelConnection of our own. */
export class ServicesKernelChannel implements KernelChannel {
  readonly pid = undefined;
  readonly exited: Promise<KernelExit>;
  private resolveExited!: (exit: KernelExit) => void;
  private goneReason: string | undefined;
  private readonly goneWaiters = new Set<(error: KernelGoneError) => void>();
  /** Executes by msg_id, for the update_display_data messages the library keeps from their future. */
  private readonly displayUpdateRoutes = new Map<string, Forward>();
  private readonly watch: KernelWatch;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly kernel: KernelConnection,
    private readonly options: ServicesChannelOptions,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    // kernel.info rejects when the kernel_info reply is an error; we await it in waitUntilReady.
    kernel.info.catch(() => undefined);
    this.watch = watchKernel(kernel, {
      reconnectGraceMs: options.requestTimeoutMs,
      onGone: (reason) => this.markGone(reason),
    });
    kernel.iopubMessage.connect(this.onIopubMessage, this);
  }

  get id(): string {
    return this.kernel.id;
  }

  /** Resolves once the kernel answered kernel_info; rejects when it is gone first or `signal` aborts. */
  async waitUntilReady(signal: AbortSignal): Promise<void> {
    const retry = setInterval(() => {
      this.kernel.requestKernelInfo().catch(() => undefined);
    }, KERNEL_INFO_RETRY_MS);
    let onGone: ((error: KernelGoneError) => void) | undefined;
    try {
      if (this.goneReason !== undefined) throw new KernelGoneError(this.goneReason);
      await bounded(
        new Promise<void>((resolve, reject) => {
          onGone = reject;
          this.goneWaiters.add(onGone);
          this.kernel.info.then(
            () => resolve(),
            (err: unknown) => reject(new Error(`its kernel_info reply was an error (${errorMessage(err)})`)),
          );
        }),
        { signal, onAbort: () => new Error("the launch was abandoned") },
      );
    } finally {
      clearInterval(retry);
      if (onGone) this.goneWaiters.delete(onGone);
    }
    this.watch.markReady();
  }

  execute(request: ExecuteRequest, onIopub: (message: IopubMessage) => void): Promise<ExecuteReply> {
    if (this.goneReason !== undefined) return Promise.reject(new KernelGoneError(this.goneReason));
    const silent = request.silent ?? false;
    let future: Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>;
    try {
      // Protocol defaults, stated: the library's own default for stop_on_error is false.
      future = this.kernel.requestExecute(
        {
          code: request.code,
          silent,
          store_history: request.store_history ?? !silent,
          user_expressions: request.user_expressions ?? {},
          stop_on_error: request.stop_on_error ?? true,
          allow_stdin: false,
        },
        true,
      );
    } catch (err) {
      return Promise.reject(new KernelGoneError(`the request could not be sent: ${errorMessage(err)}`));
    }
    const msgId = future.msg.header.msg_id;
    const forward: Forward = (msg) => {
      try {
        onIopub({
          header: { msg_type: msg.header.msg_type },
          content: msg.content as Record<string, unknown>,
        });
      } catch (err) {
        // A throw here would stop the library from seeing this message, idle included: never let it.
        this.options.log("an iopub handler threw; the message was dropped", {
          kernelId: this.id,
          msgType: msg.header.msg_type,
          error: errorMessage(err),
        });
      }
    };
    // update_display_data never reaches a future through the library (it reroutes them by display
    // id and synthesises copies of its own), so those come from the iopubMessage signal instead.
    future.onIOPub = (msg) => {
      if (msg.header.msg_type !== "update_display_data") forward(msg);
    };
    this.displayUpdateRoutes.set(msgId, forward);
    // A kernel replaced under us (restarted through the server) never answers this request, and
    // the server tells no client: only asking the kernel shows it.
    this.probeTimer ??= setInterval(() => this.watch.probe(), PROBE_INTERVAL_MS).unref();
    return new Promise<ExecuteReply>((resolve, reject) => {
      const settle = () => {
        this.goneWaiters.delete(fail);
        this.displayUpdateRoutes.delete(msgId);
        if (this.displayUpdateRoutes.size === 0) this.stopProbing();
      };
      const fail = (error: KernelGoneError) => {
        settle();
        reject(error);
      };
      this.goneWaiters.add(fail);
      // Two-argument then, never .finally: any other chain on `done` re-raises its cancellation.
      future.done.then(
        (reply) => {
          settle();
          resolve(reply.content as unknown as ExecuteReply);
        },
        (err: unknown) =>
          fail(new KernelGoneError(this.goneReason ?? `the request was cancelled (${errorMessage(err)})`)),
      );
    });
  }

  /** A gone kernel has nothing to interrupt; a server that fails the request makes this reject. */
  async interrupt(): Promise<void> {
    if (this.goneReason !== undefined) return;
    const timeoutMs = this.options.requestTimeoutMs;
    try {
      // Our settings already bound the request; the race also covers a server that never answers.
      await bounded(this.kernel.interrupt(), {
        timeoutMs: timeoutMs + 1000,
        onTimeout: () => new Error(`no answer within ${timeoutMs} ms`),
      });
    } catch (err) {
      if (this.goneReason !== undefined) return;
      throw new Error(`The Jupyter server did not interrupt kernel ${this.id}: ${errorMessage(err)}`);
    }
  }

  shutdown(graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<void> {
    // Set before stop() runs: its first lines mark the channel gone, and exited must wait for the end.
    this.stopRequested = true;
    this.stopping ??= this.stop(graceMs);
    return this.stopping;
  }

  private async stop(graceMs: number): Promise<void> {
    const started = Date.now();
    this.markGone("the kernel was shut down");
    // Drop the websocket first: a closing socket would otherwise start the library's reconnects.
    try {
      this.kernel.dispose();
    } catch (err) {
      this.options.log("disposing a kernel connection failed", {
        kernelId: this.id,
        error: errorMessage(err),
      });
    }
    const budgetMs = Math.max(0, graceMs) + SHUTDOWN_MARGIN_MS;
    const settings = withAbortSignal(this.options.settings, AbortSignal.timeout(budgetMs));
    // GET first: a kernel the server already removed (its restart failed) is no error, and
    // shutdownKernel would print a console.warn for the 404.
    const removeKernel = async () => {
      for (let attempt = 0; ; attempt++) {
        if (!(await KernelAPI.getKernelModel(this.id, settings))) return;
        try {
          return await KernelAPI.shutdownKernel(this.id, settings);
        } catch (err) {
          // jupyter_client answers 500 (InvalidStateError) to a DELETE that lands while it is still
          // restarting the kernel, our "died and restarted" case: ask again until the budget is spent.
          const status = err instanceof ServerConnection.ResponseError ? err.response.status : 0;
          if (status < 500) throw err;
          await sleep(Math.min(1000, 100 * 2 ** attempt));
        }
      }
    };
    try {
      // The fetch deadline aborts every request; the race covers anything that ignores it.
      await bounded(removeKernel(), {
        timeoutMs: budgetMs + 500,
        onTimeout: () => new Error(`no answer within ${budgetMs} ms`),
      });
    } catch (err) {
      this.options.log("the Jupyter server did not confirm a kernel shutdown; it may still be running", {
        kernelId: this.id,
        ms: Date.now() - started,
        error: errorMessage(err),
      });
    }
    this.resolveExited({ reason: this.goneReason ?? "the kernel was shut down" });
    this.options.onShutdown(this);
  }

  /** The first reason wins: rejects everything waiting; unless we are stopping it, settles `exited`. */
  private markGone(reason: string): void {
    if (this.goneReason !== undefined) return;
    this.goneReason = reason;
    this.watch.stop();
    this.stopProbing();
    const error = new KernelGoneError(reason);
    for (const fail of [...this.goneWaiters]) fail(error);
    this.goneWaiters.clear();
    if (!this.stopRequested) {
      this.options.log("kernel gone", { kernelId: this.id, reason });
      this.resolveExited({ reason });
      // Nothing more can run on it, yet the server may still hold it (it restarted it): delete it
      // now, out of the library's call stack, rather than rely on every caller's shutdown().
      setImmediate(() => void this.shutdown());
    }
  }

  private stopProbing(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private onIopubMessage(_: KernelConnection, msg: KernelMessage.IIOPubMessage): void {
    if (msg.header.msg_type !== "update_display_data" || !("msg_id" in msg.parent_header)) return;
    this.displayUpdateRoutes.get(msg.parent_header.msg_id)?.(msg);
  }
}

/** For launch cleanup: delete a kernel we created but never attached to. Never rejects. */
export async function deleteKernelQuietly(
  id: string,
  settings: ServerConnection.ISettings,
  budgetMs: number,
  log: ServicesLog,
): Promise<void> {
  const deadline = AbortSignal.timeout(budgetMs);
  const work = KernelAPI.shutdownKernel(id, withAbortSignal(settings, deadline));
  const outcome = await Promise.race([
    work.then(() => "deleted"),
    sleep(budgetMs + 500).then(() => "timeout"),
  ]).catch((err: unknown) => `failed: ${errorMessage(err)}`);
  log("deleted an abandoned kernel", { kernelId: id, outcome });
}
