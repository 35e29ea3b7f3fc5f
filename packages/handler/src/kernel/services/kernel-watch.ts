import { KernelMessage, type Kernel, type KernelConnection } from "@jupyterlab/services";

/**
 * How a KernelConnection tells us its kernel is gone, or no longer the kernel we started: the
 * server's "restarting"/"dead" status, a restart by someone else, a websocket that stays lost, a
 * disposed connection. Reports each as a reason, once it matters, and never throws at the library.
 */
export interface KernelWatch {
  /** From now on a fresh kernel process behind the same id means our state is lost. */
  markReady(): void;
  /**
   * Asks the kernel for kernel_info on the control channel (answered while a cell runs). After a
   * restart through the server the answer comes from the new process, and the session check fires.
   */
  probe(): void;
  stop(): void;
}

export interface KernelWatchOptions {
  /** How long the library may try to bring a lost websocket back before we give up on the kernel. */
  reconnectGraceMs: number;
  onGone: (reason: string) => void;
}

export function watchKernel(kernel: KernelConnection, options: KernelWatchOptions): KernelWatch {
  let ready = false;
  let stopped = false;
  let kernelSession: string | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const gone = (reason: string, dispose: boolean) => {
    if (!stopped) options.onGone(reason);
    // Safe where we call it: none of these paths has the library's restart handling in flight.
    if (dispose) kernel.dispose();
  };

  const onAnyMessage = (_: KernelConnection, { msg, direction }: Kernel.IAnyMessageArgs) => {
    if (direction !== "recv") return;
    if ("msg_id" in msg.parent_header) {
      // A kernel process signs everything with one session id, learnt from its first answer to us.
      // A restart through the server (JupyterLab, REST) reaches no client; the first sign is the
      // new process answering the server's own kernel_info under a new id. A kernel that echoes
      // the requester's session instead is left alone by the second test.
      if (msg.parent_header.session === kernel.clientId) kernelSession ??= msg.header.session;
      const sender = msg.header.session;
      if (
        ready &&
        kernelSession !== undefined &&
        sender !== kernelSession &&
        sender !== msg.parent_header.session
      ) {
        gone("the kernel was restarted on the Jupyter server by someone else; its state is lost", true);
      }
      return;
    }
    if (msg.channel !== "iopub" || msg.header.msg_type !== "status") return;
    const content = msg.content as { execution_state?: string };
    if (content.execution_state === "restarting") {
      // The server restarted a kernel that died. Left alone, the library resets and reconnects by
      // itself in an unawaited promise that rejects ("Canceled future", "disposed") once we drop the
      // connection. This signal fires before the library handles the message, so make it read as
      // the server's "dead": the library then just disposes the connection, and we launch afresh.
      content.execution_state = "dead";
      gone("the kernel died and the Jupyter server restarted it; its state is lost", false);
    } else if (content.execution_state === "dead") {
      gone("the kernel died and the Jupyter server could not restart it", false);
    }
  };

  const onStatus = (_: KernelConnection, status: KernelMessage.Status) => {
    if (status === "dead" || status === "restarting" || status === "autorestarting") {
      gone(`the kernel is ${status}`, false);
    } else if (status === "starting" && ready) {
      // A restart through the server (JupyterLab, REST), when its first status gets through.
      gone("the kernel was restarted on the Jupyter server by someone else; its state is lost", true);
    }
  };

  const onConnectionStatus = (_: KernelConnection, status: Kernel.ConnectionStatus) => {
    if (status === "connected") {
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
    } else if (status === "disconnected") {
      gone("the websocket to the Jupyter server closed", false);
    } else if (ready && reconnectTimer === undefined) {
      // The library retries a lost socket for minutes; a call waiting on it must not wait that long.
      reconnectTimer = setTimeout(
        () => gone(`lost the websocket to the Jupyter server for ${options.reconnectGraceMs} ms`, true),
        options.reconnectGraceMs,
      );
      reconnectTimer.unref();
    }
  };

  kernel.anyMessage.connect(onAnyMessage);
  kernel.statusChanged.connect(onStatus);
  kernel.connectionStatusChanged.connect(onConnectionStatus);
  kernel.disposed.connect(() => gone("the connection to the kernel was closed", false));
  return {
    markReady: () => (ready = true),
    probe: () => {
      if (stopped || kernel.isDisposed) return;
      const request = KernelMessage.createMessage({
        msgType: "kernel_info_request",
        channel: "shell",
        session: kernel.clientId,
        content: {},
      });
      try {
        // The message types say shell; the protocol serves kernel_info on control too.
        const future = kernel.sendControlMessage(
          { ...request, channel: "control" } as unknown as KernelMessage.IControlMessage,
          true,
        );
        future.done.catch(() => undefined);
      } catch {
        // A dead kernel refuses to send; its death is reported through the signals above.
      }
    },
    stop: () => {
      stopped = true;
      clearTimeout(reconnectTimer);
    },
  };
}
