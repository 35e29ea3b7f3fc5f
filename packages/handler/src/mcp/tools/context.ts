import type { OutputLimits } from "../../config.js";
import type { KernelSession } from "../../kernel/session.js";
import type { Workspace } from "../../workspace/workspace.js";

/** What every tool may use: the caller's kernel session and files, limits, and this request's budget. */
export interface ToolContext {
  session: KernelSession;
  limits: OutputLimits;
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  /**
   * How long this request may wait (front door or Lambda time left), when it is bounded. When set, a
   * call without a timeout returns at the budget with an execution_id and the cell keeps running.
   */
  budgetMs?: number;
  /** The files tools work on (the kernel's working directory), mirrored to S3 when configured. */
  workspace?: Workspace;
}
