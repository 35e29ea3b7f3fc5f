/**
 * The five ZMQ sockets of one kernel connection, connected before the kernel even exists: a
 * connect to an ipc path nobody listens on yet just retries, and what we send meanwhile waits in
 * the pipe. The retry interval is short because launch latency is spent exactly here.
 */
import { Dealer, Subscriber, type Socket } from "zeromq";
import type { ChannelName } from "./connection.js";

/** How often a not-yet-bound endpoint is retried while the kernel starts (libzmq default: 100). */
const RECONNECT_MS = 5;

export class KernelSockets {
  readonly shell: Dealer;
  readonly control: Dealer;
  readonly stdin: Dealer;
  readonly iopub: Subscriber;
  readonly hb: Dealer;
  readonly shellWriter: FrameWriter;
  readonly controlWriter: FrameWriter;
  readonly stdinWriter: FrameWriter;
  private closed = false;

  /**
   * @param routingId our session id: the kernel sends stdin's input_request to the identity the
   *   execute_request came from on shell, so shell and stdin must share it (as jupyter_client does).
   */
  constructor(endpoints: Record<ChannelName, string>, routingId: string) {
    const common = { linger: 0, reconnectInterval: RECONNECT_MS, reconnectMaxInterval: 0 };
    this.shell = new Dealer({ ...common, routingId });
    this.control = new Dealer({ ...common, routingId });
    this.stdin = new Dealer({ ...common, routingId });
    // Unlimited on our side: the kernel's PUB has its own bound; we never drop what reached us.
    this.iopub = new Subscriber({ ...common, receiveHighWaterMark: 0 });
    // A DEALER rather than REQ: a lost ping must not wedge the socket in REQ's send/recv lockstep.
    this.hb = new Dealer({ ...common, sendTimeout: 0, sendHighWaterMark: 16 });
    this.iopub.subscribe();
    this.shell.connect(endpoints.shell);
    this.control.connect(endpoints.control);
    this.stdin.connect(endpoints.stdin);
    this.iopub.connect(endpoints.iopub);
    this.hb.connect(endpoints.hb);
    this.shellWriter = new FrameWriter(this.shell);
    this.controlWriter = new FrameWriter(this.control);
    this.stdinWriter = new FrameWriter(this.stdin);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.shell, this.control, this.stdin, this.iopub, this.hb]) {
      try {
        socket.close();
      } catch {
        // Already closed.
      }
    }
  }
}

/**
 * zeromq.js allows one pending send per socket. Sends almost always complete at once (the pipe
 * has room); when one does not, later ones wait here in order instead of failing with EBUSY.
 */
export class FrameWriter {
  private busy = false;
  private readonly queue: Buffer[][] = [];

  constructor(private readonly socket: Dealer) {}

  send(frames: Buffer[]): void {
    if (this.busy) {
      this.queue.push(frames);
      return;
    }
    this.start(frames);
  }

  private start(frames: Buffer[]): void {
    this.busy = true;
    this.socket.send(frames).then(
      () => this.next(),
      () => this.next(), // closed: the channel reports the kernel gone by other means.
    );
  }

  private next(): void {
    this.busy = false;
    const frames = this.queue.shift();
    if (frames) this.start(frames);
  }
}

/** Reads every multipart message of `socket` until it is closed. */
export async function receiveLoop(
  socket: Socket & AsyncIterable<Buffer[]>,
  onFrames: (frames: Buffer[]) => void,
) {
  try {
    for await (const frames of socket) onFrames(frames);
  } catch {
    // Closed while a receive was pending.
  }
}
