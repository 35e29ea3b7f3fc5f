import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Logger } from "../log.js";
import { TERMINAL, type TaskRecord, type TaskStatus, type TaskStore } from "./task-store.js";

/** The extension's identifier, as clients declare it and servers advertise it. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/** What a tool hands over when its work outlives the call. */
export interface TaskWork {
  executionId?: string;
  statusMessage: string;
  /** Resolves with the tool's final result; a rejection is a protocol-level failure. */
  outcome: () => Promise<CallToolResult>;
  /** Stops the work (interrupts the cell); the task is already marked cancelled. */
  cancel: (why: string) => Promise<unknown>;
}

/** The flat CreateTaskResult of SEP-2663: the task's fields at the top level. */
export interface CreateTaskResult {
  resultType: "task";
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number;
  pollIntervalMs: number;
}

/** One caller's view: tools start tasks through it, so a task always belongs to its caller. */
export interface CallerTasks {
  start(work: TaskWork): Promise<CreateTaskResult>;
}

export interface TaskRunnerOptions {
  store: TaskStore;
  /** How long a task record stays readable after it ends. */
  ttlMs: number;
  pollIntervalMs: number;
  /** How often the owner refreshes its heartbeat and looks for a cancel from another process. */
  tickMs?: number;
  /** A working task whose owner has not beaten for this long is reported failed (the owner died). */
  staleMs?: number;
  log?: Logger;
}

interface LiveTask {
  caller: string;
  work: TaskWork;
  /** The full result, kept in memory: the stored one may be reduced to fit the record. */
  result?: CallToolResult;
  cancelled: boolean;
}

/**
 * Runs and answers tasks for this process. Records live in the store (durable, shared by every
 * process), so tasks/get and tasks/cancel work wherever they land; the work itself runs where the
 * caller's kernel is, and that process writes the outcome.
 */
export class TaskRunner {
  readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly live = new Map<string, LiveTask>();
  private readonly tickMs: number;
  private readonly staleMs: number;

  constructor(private readonly options: TaskRunnerOptions) {
    this.tickMs = options.tickMs ?? 2_000;
    this.staleMs = options.staleMs ?? 60_000;
  }

  forCaller(caller: string): CallerTasks {
    return { start: (work) => this.start(caller, work) };
  }

  /** tasks/get: the record, with the full result when this process ran it; undefined when unknown. */
  async get(caller: string, taskId: string): Promise<Record<string, unknown> | undefined> {
    let record = await this.options.store.get(caller, taskId);
    if (!record) return undefined;
    const live = this.live.get(taskId);
    if (record.status === "working" && !live && Date.now() - Date.parse(record.heartbeatAt) > this.staleMs) {
      // Its owner stopped beating: a crashed process, a recycled environment. Say so, once.
      record =
        (await this.options.store.update(caller, taskId, {
          status: "failed",
          error: {
            code: -32603,
            message:
              "The server process running this task stopped before it finished; the cell's outcome is unknown. " +
              "Run it again (your kernel state is restored from its last checkpoint when sessions are on).",
          },
        })) ?? record;
    }
    return detailedTask(record, live?.caller === caller ? live.result : undefined);
  }

  /** tasks/cancel: marks the task cancelled (terminal tasks stay as they are) and stops the work. */
  async cancel(caller: string, taskId: string): Promise<boolean> {
    const record = await this.options.store.get(caller, taskId);
    if (!record) return false;
    if (TERMINAL.has(record.status)) return true;
    await this.options.store.requestCancel(caller, taskId);
    await this.options.store.update(caller, taskId, {
      status: "cancelled",
      statusMessage: "Cancelled by tasks/cancel.",
    });
    const live = this.live.get(taskId);
    if (live && live.caller === caller) await this.stopLive(taskId, live);
    return true;
  }

  private async start(caller: string, work: TaskWork): Promise<CreateTaskResult> {
    const now = new Date().toISOString();
    const record: TaskRecord = {
      taskId: randomUUID(),
      caller,
      status: "working",
      statusMessage: work.statusMessage,
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: this.options.ttlMs,
      pollIntervalMs: this.options.pollIntervalMs,
      owner: this.owner,
      heartbeatAt: now,
      ...(work.executionId !== undefined ? { executionId: work.executionId } : {}),
    };
    // Durable before the client hears of it: a tasks/get right after must find it.
    await this.options.store.create(record);
    const live: LiveTask = { caller, work, cancelled: false };
    this.live.set(record.taskId, live);
    void this.follow(record.taskId, live);
    return {
      resultType: "task",
      taskId: record.taskId,
      status: record.status,
      statusMessage: work.statusMessage,
      createdAt: record.createdAt,
      lastUpdatedAt: record.lastUpdatedAt,
      ttlMs: record.ttlMs,
      pollIntervalMs: record.pollIntervalMs,
    };
  }

  /** Waits for the work, beating and watching for a cancel from another process, then records the end. */
  private async follow(taskId: string, live: LiveTask): Promise<void> {
    const { store } = this.options;
    const outcome = live.work.outcome().then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    const timer = setInterval(() => {
      void store
        .update(live.caller, taskId, { heartbeatAt: new Date().toISOString() })
        .then(async (record) => {
          if (!live.cancelled && (record?.cancelRequested || record?.status === "cancelled")) {
            await this.stopLive(taskId, live);
          }
        })
        .catch((err: unknown) =>
          this.options.log?.warn("task heartbeat failed", { taskId, error: String(err) }),
        );
    }, this.tickMs);
    try {
      const ended = await outcome;
      if ("result" in ended) {
        live.result = ended.result;
        await store.update(live.caller, taskId, {
          status: "completed",
          result: ended.result,
          statusMessage: "Done.",
        });
      } else {
        const message = ended.error instanceof Error ? ended.error.message : String(ended.error);
        await store.update(live.caller, taskId, { status: "failed", error: { code: -32603, message } });
      }
    } catch (err) {
      this.options.log?.error("task record update failed", { taskId, error: String(err) });
    } finally {
      clearInterval(timer);
      // Keep the full result for this process's tasks/get for the record's lifetime.
      setTimeout(() => this.live.delete(taskId), this.options.ttlMs).unref();
    }
  }

  private async stopLive(taskId: string, live: LiveTask): Promise<void> {
    if (live.cancelled) return;
    live.cancelled = true;
    await live.work
      .cancel("Cancelled by tasks/cancel")
      .catch((err: unknown) => this.options.log?.warn("task cancel failed", { taskId, error: String(err) }));
  }
}

/** tasks/get's DetailedTask: the task's fields, `result` when completed, `error` when failed. */
function detailedTask(record: TaskRecord, fullResult: CallToolResult | undefined): Record<string, unknown> {
  const task: Record<string, unknown> = {
    resultType: "complete",
    taskId: record.taskId,
    status: record.status,
    createdAt: record.createdAt,
    lastUpdatedAt: record.lastUpdatedAt,
    ttlMs: record.ttlMs,
    pollIntervalMs: record.pollIntervalMs,
  };
  if (record.statusMessage !== undefined) task.statusMessage = record.statusMessage;
  if (record.status === "completed") task.result = fullResult ?? record.result;
  if (record.status === "failed" && record.error) task.error = record.error;
  return task;
}
