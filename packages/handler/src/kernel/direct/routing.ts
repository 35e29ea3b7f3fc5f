/**
 * Which request a received message belongs to, by its parent msg_id: execute requests (which
 * settle on reply *and* idle) and plain request/reply pairs (kernel_info, interrupt). One Map
 * lookup per message, no timer per message.
 */
import type { ExecuteReply, IopubMessage } from "../transport.js";
import type { WireMessage } from "./wire.js";

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

export class RequestRouter {
  private readonly executions = new Map<string, Execution>();
  private readonly replies = new Map<string, ReplyWaiter>();

  /** @param onHandlerError an onIopub callback threw; the message still counts. */
  constructor(private readonly onHandlerError: (err: unknown) => void) {}

  /** Resolves when both the execute_reply and the iopub idle of `msgId` have arrived. */
  execute(msgId: string, onIopub: (message: IopubMessage) => void): Promise<ExecuteReply> {
    return new Promise<ExecuteReply>((resolve, reject) => {
      this.executions.set(msgId, { onIopub, reply: undefined, idle: false, resolve, reject });
    });
  }

  /** Resolves with the reply whose parent is `msgId`; with `timeoutMs`, rejects after that long. */
  expectReply(msgId: string, timeoutMs?: number): Promise<WireMessage> {
    return new Promise<WireMessage>((resolve, reject) => {
      if (timeoutMs === undefined) {
        this.replies.set(msgId, { resolve, reject });
        return;
      }
      const timer = setTimeout(() => {
        this.replies.delete(msgId);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          fn(value);
        };
      this.replies.set(msgId, { resolve: settle(resolve), reject: settle(reject) });
    });
  }

  /** Drops a reply waiter without settling it (a launch probe that is no longer needed). */
  forget(msgId: string): void {
    this.replies.delete(msgId);
  }

  /** A shell or control message. */
  routeReply(message: WireMessage): void {
    const parentId = message.parentHeader.msg_id;
    if (parentId === undefined) return;
    const execution = this.executions.get(parentId);
    if (execution && message.header.msg_type === "execute_reply") {
      execution.reply = message.content as unknown as ExecuteReply;
      this.settle(parentId, execution);
      return;
    }
    const waiter = this.replies.get(parentId);
    if (waiter) {
      this.replies.delete(parentId);
      waiter.resolve(message);
    }
  }

  /** An iopub message. Returns false when it belongs to no execute request of ours. */
  routeIopub(message: WireMessage): boolean {
    const parentId = message.parentHeader.msg_id;
    const execution = parentId === undefined ? undefined : this.executions.get(parentId);
    if (!execution) return false;
    try {
      execution.onIopub({ header: message.header, content: message.content });
    } catch (err) {
      this.onHandlerError(err);
    }
    if (message.header.msg_type === "status" && message.content.execution_state === "idle") {
      execution.idle = true;
      this.settle(parentId!, execution);
    }
    return true;
  }

  /** Everything pending fails with `err` (the kernel is gone). */
  rejectAll(err: Error): void {
    const executions = [...this.executions.values()];
    const replies = [...this.replies.values()];
    this.executions.clear();
    this.replies.clear();
    for (const execution of executions) execution.reject(err);
    for (const waiter of replies) waiter.reject(err);
  }

  private settle(msgId: string, execution: Execution): void {
    if (!execution.idle || !execution.reply) return;
    this.executions.delete(msgId);
    execution.resolve(execution.reply);
  }
}
