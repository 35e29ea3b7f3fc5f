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
import { receiveLoop, type KernelSockets } from "./sockets.js";
import type { MessageHeader, WireCodec, WireMessage } from "./wire.js";

export const DEFAULT_SHUTDOWN_GRACE_MS = 2000;
/** An interrupt_request that gets no reply must not hold the caller forever. */
const INTERRUPT_REPLY_TIMEOUT_MS = 5000;
/** While launching: how often kernel_info is re-sent until iopub carries its status. */
const IOPUB_PROBE_MS = 10;

interface Execution {
  onIopub: (message: IopubMessage) => void;
  reply: ExecuteReply | undefined;
  idle: boolean;
  resolve: (reply: ExecuteReply) => void;
  reject: (err: Error) => void;
}

interface ReplyWaiter {
  resolve: (message: WireMessage) => void;
  reject: (err: Error) => void;
}

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

  private readonly executions = new Map<string, Execution>();
  private readonly replies = new Map<string, ReplyWaiter>();
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
        for (const id of probeIds) this.replies.delete(id);
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
        this.replies.set(msgId, {
          resolve: (message) => {
            this.kernelInfo ??= message.content;
            replied = true;
            if (!iopubLive && timer === undefined) timer = setInterval(probe, IOPUB_PROBE_MS);
            check();
          },
          reject: finish,
        });
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
    return new Promise<ExecuteReply>((resolve, reject) => {
      this.executions.set(msgId, { onIopub, reply: undefined, idle: false, resolve, reject });
      this.parts.sockets.shellWriter.send(frames);
    });
  }

  async interrupt(): Promise<void> {
    if (this.goneReason !== undefined) return;
    if (this.parts.interruptMode === "signal") {
      // The group, not just the kernel: a cell blocked in subprocess.run() waits for its child.
      this.parts.process.signalGroup("SIGINT");
      return;
    }
    await this.request("control", "interrupt_request", {}, INTERRUPT_REPLY_TIMEOUT_MS).catch(() => undefined);
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

  /** Sends a request and resolves with its reply (shell or control), bounded by `timeoutMs`. */
  private request(
    channel: "shell" | "control",
    msgType: string,
    content: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<WireMessage> {
    if (this.goneReason !== undefined) return Promise.reject(this.goneError());
    const { msgId, frames } = this.parts.codec.encode(msgType, content);
    return new Promise<WireMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(msgId);
        reject(new Error(`no ${msgType} reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          fn(value);
        };
      this.replies.set(msgId, { resolve: settle(resolve), reject: settle(reject) });
      (channel === "shell" ? this.parts.sockets.shellWriter : this.parts.sockets.controlWriter).send(frames);
    });
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
    const parentId = message?.parentHeader.msg_id;
    if (!message || parentId === undefined) return;
    const execution = this.executions.get(parentId);
    if (execution && message.header.msg_type === "execute_reply") {
      execution.reply = message.content as unknown as ExecuteReply;
      this.settleExecution(parentId, execution);
      return;
    }
    const waiter = this.replies.get(parentId);
    if (waiter) {
      this.replies.delete(parentId);
      waiter.resolve(message);
    }
  }

  private onIopub(frames: Buffer[]): void {
    const message = this.decode("iopub", frames);
    const parentId = message?.parentHeader.msg_id;
    if (!message || parentId === undefined) return;
    const execution = this.executions.get(parentId);
    if (!execution) {
      this.iopubProbe?.(parentId);
      return;
    }
    try {
      execution.onIopub({ header: message.header, content: message.content });
    } catch (err) {
      this.logOnce("onIopub-threw", "an iopub handler threw", { error: (err as Error).message });
    }
    if (message.header.msg_type === "status" && message.content.execution_state === "idle") {
      execution.idle = true;
      this.settleExecution(parentId, execution);
    }
  }

  private settleExecution(msgId: string, execution: Execution): void {
    if (!execution.idle || !execution.reply) return;
    this.executions.delete(msgId);
    execution.resolve(execution.reply);
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
    for (const execution of this.executions.values()) execution.reject(err);
    this.executions.clear();
    for (const waiter of this.replies.values()) waiter.reject(err);
    this.replies.clear();
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
