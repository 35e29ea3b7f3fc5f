import type { KernelState } from "./lifecycle.js";
import type { CallerPlace } from "./setup-code.js";
import type { KernelChannel } from "./transport.js";

/** The shapes a caller's kernel session takes and gives (session.ts). */
export interface KernelSessionOptions {
  /** The caller this kernel belongs to (a key: default, a token name, id-<hash>). */
  caller: string;
  place: CallerPlace;
  /** Gives this session a ready kernel (a spare, or a fresh launch); bounded by the launcher. */
  acquireKernel: () => Promise<KernelChannel>;
  kernelName: string;
  transport: "direct" | "jupyter-server";
  maxOutputChars?: number;
  /** How long an interrupt may take before we restart the kernel instead. */
  interruptGraceMs?: number;
  /** How long a kernel may take to stop before it is abandoned (the transport kills it). */
  shutdownGraceMs?: number;
  /** Calls waiting behind the running one; more are refused at once. */
  maxQueued?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface ExecuteOptions {
  /** Hard limit from the start of the run: on expiry the kernel is interrupted. */
  timeoutMs?: number;
  /** Soft limit on how long this call waits: on expiry the call returns and the cell keeps running. */
  budgetMs?: number;
  /** Called every `everyMs` while this call waits for the cell (progress notifications). */
  progress?: ProgressListener;
}

export interface ProgressListener {
  everyMs: number;
  report(progress: ExecutionProgress): void;
}

export interface ExecutionProgress {
  executionId: string;
  elapsedMs: number;
  /** Outputs so far (text streams, displays, errors). */
  outputs: number;
  /** The latest lines of text output (bounded). */
  tail: string;
}

export interface KernelStatus {
  caller: string;
  state: KernelState;
  kernelId: string | null;
  kernelName: string;
  transport: "direct" | "jupyter-server";
  executionCount: number | null;
  queued: number;
  running: string | null;
  startedAt: string | null;
  restarts: number;
}
