import { mkdirSync } from "node:fs";
import { KernelCapacityError } from "./errors.js";
import { KernelSession, type KernelSessionOptions } from "./session.js";
import { preloadCode, type CallerPlace } from "./setup-code.js";
import type { KernelChannel, KernelLauncher } from "./transport.js";
import { bounded, errorMessage } from "./wait.js";

export interface KernelPoolOptions {
  launcher: KernelLauncher;
  /** The caller's directories (created here before its kernel starts). */
  placeOf: (caller: string) => CallerPlace;
  /** A neutral working directory for spare kernels, before a caller adopts them. */
  spareDir: string;
  maxKernels: number;
  /** Idle kernels are shut down after this long; 0 keeps them. */
  idleMs: number;
  /** Kernels launched ahead of need, so a caller's first call does not wait for a launch. */
  spares: number;
  preload: readonly string[];
  session: Pick<
    KernelSessionOptions,
    "kernelName" | "maxOutputChars" | "interruptGraceMs" | "shutdownGraceMs" | "maxQueued"
  >;
  launchTimeoutMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Sessions kept after their kernel stopped, so the caller's next call can say why. */
const KEPT_STOPPED = 1000;

/**
 * One kernel per caller, at most `maxKernels` per process. A caller's session is made on its first
 * call; when the process is full, the least recently used idle kernel is shut down to make room
 * (its caller's next call says so), and kernels idle past `idleMs` are shut down by a sweep.
 */
export class KernelPool {
  private readonly sessions = new Map<string, KernelSession>();
  private readonly spareKernels: Promise<KernelChannel>[] = [];
  private readonly sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: KernelPoolOptions) {
    if (options.idleMs > 0) {
      this.sweeper = setInterval(() => this.sweepIdle(), Math.min(30_000, Math.max(250, options.idleMs / 4)));
      this.sweeper.unref();
    }
  }

  get transport(): KernelLauncher["kind"] {
    return this.options.launcher.kind;
  }

  /** The caller's session, made on first use (its kernel starts with its first call). */
  session(caller: string): KernelSession {
    let session = this.sessions.get(caller);
    if (!session) {
      session = this.create(caller);
      this.sessions.set(caller, session);
      this.forgetOldStopped();
    }
    session.touch();
    return session;
  }

  /** Launches spare kernels up to `spares`, within the kernel limit (init, keep-warm pings). */
  async warmSpares(): Promise<void> {
    await this.options.launcher.prepare();
    while (
      !this.closed &&
      this.spareKernels.length < this.options.spares &&
      this.liveCount() < this.options.maxKernels
    ) {
      this.spareKernels.push(this.launchSpare());
    }
    await Promise.all(this.spareKernels.map((p) => p.catch(() => undefined)));
  }

  /** Kernels in use or about to be, spares included. */
  liveCount(): number {
    let count = this.spareKernels.length;
    for (const s of this.sessions.values()) if (s.holdsKernel) count += 1;
    return count;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const spares = this.spareKernels.splice(0);
    await Promise.all([
      ...[...this.sessions.values()].map((s) => s.shutdown("the server stopped")),
      ...spares.map((p) =>
        p.then(
          (k) => k.shutdown(0),
          () => undefined,
        ),
      ),
    ]);
    await this.options.launcher.close();
  }

  /** Shuts down kernels idle for longer than idleMs. */
  sweepIdle(now = Date.now()): void {
    for (const session of this.sessions.values()) {
      if (session.evictable && now - session.lastUsedAt > this.options.idleMs) {
        const seconds = Math.round(this.options.idleMs / 1000);
        void session.shutdown(`it was idle for more than ${seconds} s (MCP_KERNEL_IDLE_SECONDS)`);
      }
    }
  }

  private create(caller: string): KernelSession {
    const place = this.options.placeOf(caller);
    for (const dir of [place.workDir, place.home, place.sitePackages]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    return new KernelSession({
      ...this.options.session,
      caller,
      place,
      transport: this.options.launcher.kind,
      acquireKernel: () => this.acquireKernel(caller),
      ...(this.options.log ? { log: this.options.log } : {}),
    });
  }

  /**
   * A kernel for a session that is starting one: a spare if one is ready or launching (then a new
   * spare is started), else a fresh launch once there is room. Throws KernelCapacityError when full.
   */
  private async acquireKernel(caller: string): Promise<KernelChannel> {
    const wanting = this.sessions.get(caller);
    // The evicted kernel is gone before the new one starts, so MCP_MAX_KERNELS bounds memory too.
    if (wanting) await this.makeRoom(wanting);
    const spare = this.spareKernels.shift();
    if (spare) {
      this.refillSpares();
      const kernel = await spare.catch(() => undefined);
      if (kernel && (await isAlive(kernel))) return kernel;
      void kernel?.shutdown(0);
    }
    return this.launch(caller);
  }

  private refillSpares(): void {
    if (this.closed || this.spareKernels.length >= this.options.spares) return;
    // A spare is only worth its memory when the process has room for it beyond the kernel we just took.
    if (this.liveCount() + 1 >= this.options.maxKernels) return;
    this.spareKernels.push(this.launchSpare());
  }

  private launchSpare(): Promise<KernelChannel> {
    mkdirSync(this.options.spareDir, { recursive: true, mode: 0o700 });
    const spare = this.launch("spare", this.options.spareDir);
    spare.catch((err: unknown) => {
      this.options.log?.("spare kernel launch failed", { error: errorMessage(err) });
      const index = this.spareKernels.indexOf(spare);
      if (index >= 0) this.spareKernels.splice(index, 1);
    });
    return spare;
  }

  /** Launches a kernel and imports KERNEL_PRELOAD on it. */
  private async launch(label: string, workDir = this.options.placeOf(label).workDir): Promise<KernelChannel> {
    const timeoutMs = this.options.launchTimeoutMs ?? 30_000;
    const kernel = await this.options.launcher.launch({ workDir, label, timeoutMs });
    const code = preloadCode(this.options.preload);
    if (code) {
      try {
        await bounded(
          kernel.execute({ code, silent: true, store_history: false }, () => {}),
          timeoutMs,
          "KERNEL_PRELOAD",
        );
      } catch (err) {
        await kernel.shutdown(0);
        throw err;
      }
    }
    return kernel;
  }

  /**
   * Frees a kernel slot for `wanting` (already counted as starting) when the others fill the
   * process: the least recently used idle kernel is shut down (a bounded wait: the holder's
   * shutdown ends in bounded time).
   */
  private async makeRoom(wanting: KernelSession): Promise<void> {
    const max = this.options.maxKernels;
    // Taking a spare keeps the count as it is: no room to make for that.
    if (this.spareKernels.length > 0) return;
    if (this.liveCount() - (wanting.holdsKernel ? 1 : 0) < max) return;
    let lru: KernelSession | undefined;
    for (const session of this.sessions.values()) {
      if (session === wanting || !session.evictable) continue;
      if (!lru || session.lastUsedAt < lru.lastUsedAt) lru = session;
    }
    if (lru) {
      this.options.log?.("kernel evicted", { caller: lru.caller, maxKernels: max });
      await lru.shutdown(
        `the server reached its limit of ${max} kernel(s) (MCP_MAX_KERNELS) and yours was the least recently used`,
      );
      return;
    }
    throw new KernelCapacityError(
      `This server already runs its limit of ${max} kernel(s) (MCP_MAX_KERNELS) and all of them are busy; ` +
        "try again in a moment, or ask the operator to raise MCP_MAX_KERNELS.",
    );
  }

  private forgetOldStopped(): void {
    if (this.sessions.size <= KEPT_STOPPED) return;
    for (const [caller, session] of this.sessions) {
      if (this.sessions.size <= KEPT_STOPPED) break;
      if (!session.holdsKernel && session.state !== "stopping") this.sessions.delete(caller);
    }
  }
}

/** A spare may have died while it waited; a launched kernel answers within a second. */
async function isAlive(kernel: KernelChannel): Promise<boolean> {
  const dead = await bounded(kernel.exited, 0, "liveness").then(
    () => true,
    () => false,
  );
  return !dead;
}
