import {
  KernelAPI,
  type Kernel,
  type KernelConnection,
  type KernelMessage,
  type ServerConnection,
} from "@jupyterlab/services";
import {
  KernelGoneError,
  type ExecuteReply,
  type ExecuteRequest,
  type IopubMessage,
  type KernelChannel,
  type KernelExit,
} from "../transport.js";
import { bounded, errorText, sleep } from "./bounds.js";
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
  private ready = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kernel: KernelConnection,
    private readonly options: ServicesChannelOptions,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    // kernel.info rejects when the kernel_info reply is an error; we await it in waitUntilReady.
    kernel.info.catch(() => undefined);
    kernel.anyMessage.connect(this.onAnyMessage, this);
    kernel.statusChanged.connect(this.onStatus, this);
    kernel.connectionStatusChanged.connect(this.onConnectionStatus, this);
    kernel.iopubMessage.connect(this.onIopubMessage, this);
    kernel.disposed.connect(() => this.markGone("the connection to the kernel was closed"), this);
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
            (err: unknown) => reject(new Error(`its kernel_info reply was an error (${errorText(err)})`)),
          );
        }),
        { signal, onAbort: () => new Error("the launch was abandoned") },
      );
    } finally {
      clearInterval(retry);
      if (onGone) this.goneWaiters.delete(onGone);
    }
    this.ready = true;
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
      return Promise.reject(new KernelGoneError(`the request could not be sent: ${errorText(err)}`));
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
          error: errorText(err),
        });
      }
    };
    // update_display_data never reaches a future through the library (it reroutes them by display
    // id and synthesises copies of its own), so those come from the iopubMessage signal instead.
    future.onIOPub = (msg) => {
      if (msg.header.msg_type !== "update_display_data") forward(msg);
    };
    this.displayUpdateRoutes.set(msgId, forward);
    return new Promise<ExecuteReply>((resolve, reject) => {
      const settle = () => {
        this.goneWaiters.delete(fail);
        this.displayUpdateRoutes.delete(msgId);
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
          fail(new KernelGoneError(this.goneReason ?? `the request was cancelled (${errorText(err)})`)),
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
      throw new Error(`The Jupyter server did not interrupt kernel ${this.id}: ${errorText(err)}`);
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
      this.options.log("disposing a kernel connection failed", { kernelId: this.id, error: errorText(err) });
    }
    const budgetMs = Math.max(0, graceMs) + SHUTDOWN_MARGIN_MS;
    const settings = withAbortSignal(this.options.settings, AbortSignal.timeout(budgetMs));
    // GET first: a kernel the server already removed (its restart failed) is no error, and
    // shutdownKernel would print a console.warn for the 404.
    const removeKernel = async () => {
      if (await KernelAPI.getKernelModel(this.id, settings))
        await KernelAPI.shutdownKernel(this.id, settings);
    };
    try {
      // The fetch deadline aborts both requests; the race covers anything that ignores it.
      await bounded(removeKernel(), {
        timeoutMs: budgetMs + 500,
        onTimeout: () => new Error(`no answer within ${budgetMs} ms`),
      });
    } catch (err) {
      this.options.log("the Jupyter server did not confirm a kernel shutdown; it may still be running", {
        kernelId: this.id,
        ms: Date.now() - started,
        error: errorText(err),
      });
    }
    this.resolveExited({ reason: this.goneReason ?? "the kernel was shut down" });
    this.options.onShutdown(this);
  }

  /** The first reason wins; rejects everything waiting, and settles `exited` unless we are stopping it. */
  private markGone(reason: string): void {
    if (this.goneReason !== undefined) return;
    this.goneReason = reason;
    clearTimeout(this.reconnectTimer);
    const error = new KernelGoneError(reason);
    for (const fail of [...this.goneWaiters]) fail(error);
    this.goneWaiters.clear();
    if (!this.stopRequested) {
      this.options.log("kernel gone", { kernelId: this.id, reason });
      this.resolveExited({ reason });
    }
  }

  private onAnyMessage(_: KernelConnection, args: Kernel.IAnyMessageArgs): void {
    const msg = args.msg;
    if (args.direction !== "recv" || msg.channel !== "iopub" || msg.header.msg_type !== "status") return;
    if ("msg_id" in msg.parent_header) return; // a kernel's own busy/idle for some request
    const content = msg.content as { execution_state?: string };
    if (content.execution_state === "restarting") {
      // The server restarted a kernel that died. Left alone, the library resets and reconnects by
      // itself in an unawaited promise that rejects ("Canceled future", "disposed") once we drop the
      // connection. This signal fires before the library handles the message, so make it read as
      // the server's "dead": the library then just disposes the connection, and we launch afresh.
      content.execution_state = "dead";
      this.markGone("the kernel died and the Jupyter server restarted it; its state is lost");
    } else if (content.execution_state === "dead") {
      this.markGone("the kernel died and the Jupyter server could not restart it");
    }
  }

  private onStatus(_: KernelConnection, status: KernelMessage.Status): void {
    if (status === "dead" || status === "restarting" || status === "autorestarting") {
      this.markGone(`the kernel is ${status}`);
    } else if (status === "starting" && this.ready) {
      // Someone restarted it through the server (JupyterLab, REST): a fresh process, state gone.
      this.markGone("the kernel was restarted on the Jupyter server by someone else; its state is lost");
      this.kernel.dispose();
    }
  }

  private onConnectionStatus(_: KernelConnection, status: Kernel.ConnectionStatus): void {
    if (status === "connected") {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
    } else if (status === "disconnected") {
      this.markGone("the websocket to the Jupyter server closed");
    } else if (this.ready && this.reconnectTimer === undefined && this.goneReason === undefined) {
      // The library retries a lost socket for minutes; a call waiting on it must not wait that long.
      const graceMs = this.options.requestTimeoutMs;
      this.reconnectTimer = setTimeout(() => {
        this.markGone(`lost the websocket to the Jupyter server for ${graceMs} ms`);
        this.kernel.dispose();
      }, graceMs);
      this.reconnectTimer.unref();
    }
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
  ]).catch((err: unknown) => `failed: ${errorText(err)}`);
  log("deleted an abandoned kernel", { kernelId: id, outcome });
}
