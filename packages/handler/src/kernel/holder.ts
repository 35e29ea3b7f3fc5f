import { KernelLifecycle } from "./lifecycle.js";
import { callerSetupCode, type CallerPlace } from "./setup-code.js";
import type { KernelChannel } from "./transport.js";
import { bounded, errorMessage } from "./wait.js";

export interface KernelHolderOptions {
  caller: string;
  place: CallerPlace;
  /** Gives a ready kernel (a spare, or a fresh launch); bounded by the launcher. */
  acquireKernel: () => Promise<KernelChannel>;
  /** How long a kernel may take to stop before the transport kills it. */
  shutdownGraceMs?: number;
  /** A restart begins: the session ends the cell it cuts off. */
  onRestart: (why: string) => void;
  /** A new kernel is the caller's now. */
  onStarted: () => void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const SETUP_TIMEOUT_MS = 60_000;

/**
 * The kernel process side of a caller's session: start, restart, stop and death, each a
 * transition of the lifecycle state machine. Concurrent starts, restarts and stops each collapse
 * into one; every wait is bounded (the launcher's timeout, the transport's shutdown grace).
 */
export class KernelHolder {
  readonly lifecycle = new KernelLifecycle();
  private current: KernelChannel | undefined;
  private starting: Promise<KernelChannel> | undefined;
  private restarting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** Why the next cell runs on a fresh kernel, told to the caller once. */
  private lostState: string | undefined;
  startedAt: Date | undefined;
  restarts = 0;

  constructor(private readonly options: KernelHolderOptions) {}

  get channel(): KernelChannel | undefined {
    return this.current;
  }

  /** The reason the caller's state was lost, once: the next cell's result says it. */
  takeLostState(): string | undefined {
    const lost = this.lostState;
    this.lostState = undefined;
    return lost;
  }

  /** A ready kernel: the live one, or a new one (waiting for a restart or stop in flight first). */
  async ensure(): Promise<KernelChannel> {
    await this.restarting?.catch(() => undefined);
    await this.stopping;
    if (this.lifecycle.live && this.current) return this.current;
    return this.start();
  }

  /** Restarts the kernel; concurrent calls share one restart. Ends with a kernel or an error. */
  restart(why: string): Promise<void> {
    this.restarting ??= this.doRestart(why).finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  /** Stops the kernel (eviction, idle, process end); the next call starts a fresh one and says why. */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= this.doShutdown(reason).finally(() => (this.stopping = undefined));
    return this.stopping;
  }

  /** The kernel is gone (its exit, or a request that learned it first). Idempotent per channel. */
  markGone(channel: KernelChannel, reason: string): void {
    if (channel !== this.current) return;
    this.current = undefined;
    if (!this.lifecycle.tryFire("died")) return;
    this.lostState = `the kernel died (${reason})`;
    this.options.log?.("kernel died", { caller: this.options.caller, reason });
  }

  /** Starts a kernel from not_started, stopped or dead; concurrent callers share one start. */
  private start(): Promise<KernelChannel> {
    if (this.starting) return this.starting;
    this.lifecycle.fire("start");
    this.starting = this.startKernel().then(
      (channel) => {
        this.lifecycle.fire("ready");
        return channel;
      },
      (err: unknown) => {
        this.lifecycle.tryFire("failed");
        throw err;
      },
    );
    return this.starting.finally(() => (this.starting = undefined));
  }

  /** Acquires a kernel, makes it this caller's, and watches for its death. */
  private async startKernel(): Promise<KernelChannel> {
    const channel = await this.options.acquireKernel();
    try {
      await bounded(
        channel.execute(
          { code: callerSetupCode(this.options.place), silent: true, store_history: false },
          () => {},
        ),
        SETUP_TIMEOUT_MS,
        "the kernel's setup",
      );
    } catch (err) {
      await channel.shutdown(0);
      throw err;
    }
    this.current = channel;
    this.startedAt = new Date();
    this.options.onStarted();
    void channel.exited.then((exit) => this.markGone(channel, exit.reason));
    this.options.log?.("kernel started", { caller: this.options.caller, kernelId: channel.id });
    return channel;
  }

  private async doRestart(why: string): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.stopping;
    if (!this.lifecycle.can("restart")) {
      // Never started or stopped: a restart is a start.
      await this.start();
      return;
    }
    this.options.log?.("restarting kernel", { caller: this.options.caller, why });
    this.lifecycle.fire("restart");
    this.options.onRestart(why);
    const old = this.current;
    this.current = undefined;
    await old?.shutdown(this.options.shutdownGraceMs ?? 2_000);
    try {
      await this.startKernel();
    } catch (err) {
      this.lifecycle.fire("failed");
      this.lostState = "a kernel restart failed";
      throw new Error(
        `The kernel could not be restarted: ${errorMessage(err)}. The next call will try a fresh kernel.`,
      );
    }
    this.restarts += 1;
    this.lostState = undefined;
    this.lifecycle.fire("ready");
  }

  private async doShutdown(reason: string): Promise<void> {
    // Awaited only when there is something to wait for, so an idle kernel leaves its slot at once.
    if (this.restarting) await this.restarting.catch(() => undefined);
    if (this.starting) await this.starting.catch(() => undefined);
    if (!this.lifecycle.tryFire("stop") || this.lifecycle.state === "stopped") return;
    const channel = this.current;
    this.current = undefined;
    if (channel) this.lostState = reason;
    await channel?.shutdown(this.options.shutdownGraceMs ?? 2_000);
    this.lifecycle.fire("stopped");
  }
}
