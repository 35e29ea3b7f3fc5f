import type { CallToolResult, ServerContext } from "@modelcontextprotocol/server";
import type { ExecutionResult } from "../kernel/execution.js";
import type { ExecuteOptions, ExecutionProgress } from "../kernel/session-types.js";
import { TASKS_EXTENSION } from "../tasks/task-runner.js";
import type { ToolContext } from "./tools/context.js";

/**
 * Running a cell for execute_code and execute_cell: the timeout and budget rules, progress
 * notifications while the call waits, and, for clients of the Tasks extension, a task instead of an
 * execution_id when the cell outlives the call.
 */
export interface CellRun {
  code: string;
  /** The caller's `timeout` argument (seconds), if any. */
  timeout: number | undefined;
  /** Turns the execution (all of it, or what this call saw) into the tool's result. */
  finish(result: ExecutionResult): Promise<CallToolResult>;
}

export async function runCell(
  ctx: ToolContext,
  request: ServerContext,
  run: CellRun,
): Promise<CallToolResult> {
  const seconds = run.timeout === undefined ? undefined : Math.min(run.timeout, ctx.maxTimeoutSeconds);
  const clamped =
    run.timeout !== undefined && seconds !== run.timeout
      ? `timeout ${run.timeout} s was clamped to the maximum of ${ctx.maxTimeoutSeconds} s.`
      : undefined;
  const tasks = ctx.tasks && clientDeclaresTasks(request) ? ctx.tasks : undefined;
  const options: ExecuteOptions = {};
  if (tasks) {
    // A task always ends: without a timeout of the caller's, the cell gets the longest one.
    options.timeoutMs = (seconds ?? ctx.maxTimeoutSeconds) * 1000;
    options.budgetMs = Math.min(ctx.budgetMs ?? Infinity, ctx.taskAfterMs ?? Infinity);
    if (options.budgetMs === Infinity) delete options.budgetMs;
  } else {
    // Without a caller timeout, a bounded request waits for its budget instead of a hard default limit.
    const timeoutSeconds = seconds ?? (ctx.budgetMs === undefined ? ctx.defaultTimeoutSeconds : undefined);
    if (timeoutSeconds !== undefined) options.timeoutMs = timeoutSeconds * 1000;
    if (ctx.budgetMs !== undefined) options.budgetMs = ctx.budgetMs;
  }
  const progress = progressListener(ctx, request);
  if (progress) options.progress = progress;

  const result = await ctx.session.execute(run.code, options);
  if (clamped) result.notes.unshift(clamped);
  if (result.status !== "running" || !tasks) return run.finish(result);

  const { session } = ctx;
  return (await tasks.start({
    executionId: result.executionId,
    statusMessage: `The cell runs on your kernel (execution ${result.executionId}).`,
    cancel: (why) => session.cancelExecution(result.executionId, why),
    outcome: async () => {
      const whole = await session.awaitExecution(result.executionId);
      if (!whole) throw new Error("the kernel session lost this execution");
      if (clamped) whole.notes.unshift(clamped);
      return run.finish(whole);
    },
  })) as unknown as CallToolResult;
}

/** Whether this request's client declared the Tasks extension (per request in 2026-07-28). */
export function clientDeclaresTasks(request: ServerContext): boolean {
  const key = "io.modelcontextprotocol/clientCapabilities";
  const fromEnvelope = (request.mcpReq.envelope as Record<string, unknown> | undefined)?.[key];
  const fromMeta = (request.mcpReq._meta as Record<string, unknown> | undefined)?.[key];
  for (const capabilities of [fromEnvelope, fromMeta]) {
    const extensions = (capabilities as { extensions?: Record<string, unknown> } | undefined)?.extensions;
    if (extensions && typeof extensions === "object" && TASKS_EXTENSION in extensions) return true;
  }
  return false;
}

function progressListener(ctx: ToolContext, request: ServerContext): ExecuteOptions["progress"] {
  const token = (request.mcpReq._meta as { progressToken?: unknown } | undefined)?.progressToken;
  if (!ctx.canStream || (typeof token !== "string" && typeof token !== "number")) return undefined;
  return {
    everyMs: (ctx.progressIntervalSeconds ?? 5) * 1000,
    report: (p: ExecutionProgress) => {
      void request.mcpReq
        .notify({
          method: "notifications/progress",
          params: {
            progressToken: token,
            progress: Math.round(p.elapsedMs / 1000),
            message: progressMessage(p),
          },
        })
        .catch(() => undefined);
    },
  };
}

function progressMessage(p: ExecutionProgress): string {
  const head = `running for ${Math.round(p.elapsedMs / 1000)} s, ${p.outputs} output(s)`;
  return p.tail ? `${head}; latest output:\n${p.tail}` : head;
}
