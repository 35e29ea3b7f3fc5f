import type { OutputLimits } from "../../config.js";
import type { KernelSession } from "../../kernel/session.js";
import type { CallerTasks } from "../../tasks/task-runner.js";
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
  /**
   * The exchange can carry messages before the result (SSE on the server, Fargate, a streaming
   * Lambda): progress notifications are sent when the client asked for them with a progressToken.
   */
  canStream?: boolean;
  /** Seconds between progress notifications while a cell runs. */
  progressIntervalSeconds?: number;
  /** This caller's tasks (io.modelcontextprotocol/tasks), when the server keeps task records. */
  tasks?: CallerTasks;
  /** How long a Tasks client's cell may run inside the call before the call answers with a task. */
  taskAfterMs?: number;
}
