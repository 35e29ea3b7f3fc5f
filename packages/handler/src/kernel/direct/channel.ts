/**
 * One directly launched kernel: requests out on shell/control, replies and iopub routed back to
 * the request that caused them by parent msg_id, stdin answered, heartbeat watched, and one way
 * out (`gone`) that every kind of death goes through.
 */
import {
  KernelGoneError,
  type ExecuteReply,
  type ExecuteRequest,
  type IopubMessage,
  type KernelChannel,
  type KernelExit,
} from "../transport.js";
import { removeKernelFiles, type KernelFiles } from "./connection.js";
import { Heartbeat } from "./heartbeat.js";
import type { KernelOutputLog, LogFn } from "./output-log.js";
import type { KernelProcess, ProcessExit } from "./process.js";
import { RequestRouter } from "./routing.js";
import { receiveLoop, type KernelSockets } from "./sockets.js";
import type { MessageHeader, WireCodec, WireMessage } from "./wire.js";

export const DEFAULT_SHUTDOWN_GRACE_MS = 2000;
/** An interrupt_request that gets no reply must not hold the caller forever. */
const INTERRUPT_REPLY_TIMEOUT_MS = 5000;
/** While launching: how often kernel_info is re-sent until iopub carries its status. */
const IOPUB_PROBE_MS = 10;

export interface DirectChannelParts {
  id: string;
  label: string;
  process: KernelProcess;
  sockets: KernelSockets;
  codec: WireCodec;
  files: KernelFiles;
  output: KernelOutputLog;
  interruptMode: "signal" | "message";
  heartbeatIntervalMs: number;
  heartbeatMisses: number;
  log: LogFn;
}

export class DirectKernelChannel implements KernelChannel {
  readonly id: string;
  readonly pid: number;
  readonly exited: Promise<KernelExit>;
  /** The kernel_info_reply content, once launched. */
  kernelInfo: Record<string, unknown> | undefined;

  private readonly router = new RequestRouter((err) =>
    this.logOnce("onIopub-threw", "an iopub handler threw", { error: (err as Error).message }),
  );
  private iopubProbe: ((parentId: string) => void) | undefined;
  private heartbeat: Heartbeat | undefined;
  private goneReason: string | undefined;
  private shuttingDown = false;
  private shutdownDone: Promise<void> | undefined;
  private cleanupDone: Promise<void> | undefined;
  private resolveExited!: (exit: KernelExit) => void;
  private readonly logged = new Set<string>();
  private droppedMessages = 0;

  constructor(private readonly parts: DirectChannelParts) {
    this.id = parts.id;
    this.pid = parts.process.pid;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    const { sockets } = parts;
    void receiveLoop(sockets.shell, (frames) => this.onReply("shell", frames));
    void receiveLoop(sockets.control, (frames) => this.onReply("control", frames));
    void receiveLoop(sockets.iopub, (frames) => this.onIopub(frames));
    void receiveLoop(sockets.stdin, (frames) => this.onStdin(frames));
    void parts.process.exited.then((exit) => this.gone(this.shuttingDown ? "shut down" : describeExit(exit)));
  }

  /** Why the kernel is gone, or undefined while it runs. */
  get goneBecause(): string | undefined {
    return this.goneReason;
  }

  /**
   * Resolves once the kernel answered kernel_info and iopub is live: a SUB socket only receives
   * after its subscription reached the publisher (the "slow joiner"), so we repeat kernel_info
   * until iopub brings back a status whose parent is one of ours. Then nothing sent later can
   * lose output. Rejects (KernelGoneError) if the kernel dies first; the caller bounds the time.
   */
  waitUntilReady(): Promise<void> {
    const probeIds = new Set<string>();
    let replied = false;
    let iopubLive = false;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        clearInterval(timer);
        this.iopubProbe = undefined;
        for (const id of probeIds) this.router.forget(id);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (!replied || !iopubLive) return;
        this.heartbeat = new Heartbeat(this.parts.sockets.hb, {
          intervalMs: this.parts.heartbeatIntervalMs,
          misses: this.parts.heartbeatMisses,
          onDead: (reason) => this.gone(reason),
        });
        finish();
      };
      const probe = () => {
        const { msgId, frames } = this.parts.codec.encode("kernel_info_request", {});
        probeIds.add(msgId);
        this.router.expectReply(msgId).then((message) => {
          this.kernelInfo ??= message.content;
          replied = true;
          if (!iopubLive && timer === undefined) timer = setInterval(probe, IOPUB_PROBE_MS);
          check();
        }, finish);
        this.parts.sockets.shellWriter.send(frames);
      };
      this.iopubProbe = (parentId) => {
        if (!probeIds.has(parentId)) return;
        iopubLive = true;
        check();
      };
      if (this.goneReason !== undefined) finish(this.goneError());
      else probe();
    });
  }

  execute(request: ExecuteRequest, onIopub: (message: IopubMessage) => void): Promise<ExecuteReply> {
    if (this.goneReason !== undefined || this.shuttingDown) return Promise.reject(this.goneError());
    const content = {
      silent: false,
      store_history: true,
      user_expressions: {},
      stop_on_error: true,
      ...request,
      // We never serve stdin: input() raises StdinNotImplementedError in the kernel.
      allow_stdin: false,
    };
    const { msgId, frames } = this.parts.codec.encode("execute_request", content);
    const settled = this.router.execute(msgId, onIopub);
    this.parts.sockets.shellWriter.send(frames);
    return settled;
  }

  async interrupt(): Promise<void> {
    if (this.goneReason !== undefined) return;
    if (this.parts.interruptMode === "signal") {
      // The group, not just the kernel: a cell blocked in subprocess.run() waits for its child.
      this.parts.process.signalGroup("SIGINT");
      return;
    }
    const { msgId, frames } = this.parts.codec.encode("interrupt_request", {});
    const replied = this.router.expectReply(msgId, INTERRUPT_REPLY_TIMEOUT_MS);
    this.parts.sockets.controlWriter.send(frames);
    await replied.catch(() => undefined); // no reply in time, or gone: either way we are done
  }

  shutdown(graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<void> {
    this.shutdownDone ??= this.stop(graceMs);
    return this.shutdownDone;
  }

  private async stop(graceMs: number): Promise<void> {
    if (this.goneReason === undefined) {
      this.shuttingDown = true;
      this.rejectPending(this.goneError("shut down"));
      if (!this.parts.process.hasExited && graceMs > 0) {
        const { frames } = this.parts.codec.encode("shutdown_request", { restart: false });
        this.parts.sockets.controlWriter.send(frames);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.parts.process.exited,
          new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      this.gone("shut down");
    }
    await this.cleanupDone;
  }

  private decode(channel: string, frames: Buffer[]): WireMessage | undefined {
    const result = this.parts.codec.decode(frames);
    if (result.ok) return result.message;
    this.droppedMessages++;
    // Once per kind per kernel, and never the content: a forger must not be able to fill our log.
    if (!this.logged.has(result.reason)) {
      this.logged.add(result.reason);
      this.parts.log("dropped a kernel message", this.fields({ channel, why: result.reason }));
    }
    return undefined;
  }

  private onReply(channel: "shell" | "control", frames: Buffer[]): void {
    const message = this.decode(channel, frames);
    if (message) this.router.routeReply(message);
  }

  private onIopub(frames: Buffer[]): void {
    const message = this.decode("iopub", frames);
    if (!message || this.router.routeIopub(message)) return;
    const parentId = message.parentHeader.msg_id;
    if (parentId !== undefined) this.iopubProbe?.(parentId);
  }

  /** We never allow stdin, but a kernel may ask anyway; an empty answer keeps it from hanging. */
  private onStdin(frames: Buffer[]): void {
    const message = this.decode("stdin", frames);
    if (!message || message.header.msg_type !== "input_request") return;
    this.logOnce("input_request", "kernel asked for input although stdin is not allowed; answered empty");
    const { frames: reply } = this.parts.codec.encode(
      "input_reply",
      { status: "ok", value: "" },
      { parent: message.header as MessageHeader },
    );
    this.parts.sockets.stdinWriter.send(reply);
  }

  /** The one way out: reject everything pending, kill the group, close, clean up, settle `exited`. */
  private gone(reason: string): void {
    if (this.goneReason !== undefined) return;
    this.goneReason = reason;
    this.heartbeat?.stop();
    this.rejectPending(this.goneError());
    this.cleanupDone = this.cleanup(reason);
  }

  private async cleanup(reason: string): Promise<void> {
    const { process, sockets, files, output } = this.parts;
    await process.destroy();
    sockets.close();
    await removeKernelFiles(files);
    output.flush();
    if (this.droppedMessages > 1) {
      this.parts.log("kernel messages dropped in total", this.fields({ dropped: this.droppedMessages }));
    }
    this.resolveExited({ reason });
  }

  private rejectPending(err: KernelGoneError): void {
    this.router.rejectAll(err);
  }

  private goneError(reason = this.goneReason ?? "shut down"): KernelGoneError {
    return new KernelGoneError(`kernel ${this.parts.label} is gone: ${reason}`);
  }

  private logOnce(key: string, message: string, fields: Record<string, unknown> = {}): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.parts.log(message, this.fields(fields));
  }

  private fields(extra: Record<string, unknown>): Record<string, unknown> {
    return { kernel: this.id, label: this.parts.label, ...extra };
  }
}

export function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `kernel process was killed by ${exit.signal}`;
  return `kernel process exited with code ${exit.code}`;
}
