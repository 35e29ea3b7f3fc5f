/**
 * The seam between the kernel lifecycle (session.ts) and how we talk to a kernel. Two transports
 * implement it: `direct/` launches ipykernel itself and speaks the messaging protocol over ZMQ;
 * `services/` attaches to a Jupyter server (JUPYTER_URL, or a server of ours) with
 * @jupyterlab/services. Nothing here knows about MCP.
 */

/** An iopub message, already matched to the request that caused it. */
export interface IopubMessage {
  header: { msg_type: string };
  content: Record<string, unknown>;
}

/** The fields of an execute_request we use (messaging protocol 5.3). */
export interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  stop_on_error?: boolean;
}

export interface UserExpressionResult {
  status: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

export interface ExecuteReply {
  status: "ok" | "error" | "aborted";
  execution_count?: number;
  /** With status error: the exception's name and value. */
  ename?: string;
  evalue?: string;
  user_expressions?: Record<string, UserExpressionResult>;
}

/** Why a kernel went away; `exited` settles with it exactly once. */
export interface KernelExit {
  reason: string;
}

/** One running kernel. */
export interface KernelChannel {
  /** Kernel id (Jupyter's, or our own uuid for direct kernels). */
  readonly id: string;
  /** The kernel process, when we launched it ourselves. */
  readonly pid: number | undefined;
  /**
   * Sends an execute_request. `onIopub` receives every iopub message whose parent is this request,
   * in order. Resolves once both the shell reply and the iopub `status: idle` of this request have
   * arrived (so no output of it can come later). Rejects with KernelGoneError when the kernel dies or
   * is shut down first. Requests are not queued by the channel: the session sends one at a time.
   */
  execute(request: ExecuteRequest, onIopub: (message: IopubMessage) => void): Promise<ExecuteReply>;
  /** Interrupts the running cell (SIGINT, or interrupt_request when the kernelspec says message). */
  interrupt(): Promise<void>;
  /** Settles (never rejects) when the kernel is gone: process exit, heartbeat lost, server says dead. */
  readonly exited: Promise<KernelExit>;
  /**
   * Stops the kernel and everything it started, within `graceMs` plus a short kill margin: a
   * shutdown_request first, then SIGKILL of its process group. Never rejects, always ends.
   */
  shutdown(graceMs?: number): Promise<void>;
}

export interface LaunchOptions {
  /** The kernel's working directory (the caller's workspace). Must exist. */
  workDir: string;
  /** Extra environment for this kernel (HOME of the caller, ...), on top of the scrubbed base. */
  env?: Record<string, string>;
  /** A short label for logs and file names (the caller key, [a-z0-9-]). */
  label: string;
  /** Launch gives up after this long, killing what it started. */
  timeoutMs?: number;
}

/** Starts kernels. One per process; it may own a Jupyter server (services transport). */
export interface KernelLauncher {
  readonly kind: "direct" | "jupyter-server";
  /** Starts one kernel and resolves when it answered kernel_info. Bounded by `timeoutMs`. */
  launch(options: LaunchOptions): Promise<KernelChannel>;
  /** Prepares what every launch needs (our Jupyter server, directories) so the first launch is fast. */
  prepare(): Promise<void>;
  /** Stops every kernel it launched and what it owns. */
  close(): Promise<void>;
}

/** The kernel died, was shut down, or never answered: the request will get no reply. */
export class KernelGoneError extends Error {
  override name = "KernelGoneError";
}

/** A launch failed: Python or ipykernel missing, the kernel exited at start, or it never answered. */
export class KernelLaunchError extends Error {
  override name = "KernelLaunchError";
}
