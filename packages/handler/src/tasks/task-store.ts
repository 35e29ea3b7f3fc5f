/**
 * Task records of the MCP Tasks extension (io.modelcontextprotocol/tasks): what a long tool call
 * turned into, kept where every server process can read it, so a tasks/get or tasks/cancel that
 * reaches another process (or Lambda environment) than the one running the call still answers.
 * Two stores implement the contract: DynamoDB (the session table) and files (one machine).
 */

export type TaskStatus = "working" | "input_required" | "completed" | "failed" | "cancelled";

/** A task in one of these never changes again: the stores refuse every later write. */
export const TERMINAL: ReadonlySet<TaskStatus> = new Set<TaskStatus>(["completed", "failed", "cancelled"]);

export interface TaskError {
  code: number;
  message: string;
  data?: unknown;
}

export interface TaskRecord {
  taskId: string;
  caller: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string; // ISO-8601
  lastUpdatedAt: string; // ISO-8601
  ttlMs: number;
  pollIntervalMs: number;
  /** The process that runs it (hostname/pid/random), for heartbeats. */
  owner: string;
  /** The owner refreshes this while working; a stale heartbeat means the owner died. */
  heartbeatAt: string;
  cancelRequested?: boolean;
  executionId?: string;
  /** The CallToolResult JSON when completed. */
  result?: unknown;
  /** When failed. */
  error?: TaskError;
}

export type TaskPatch = Partial<
  Pick<TaskRecord, "status" | "statusMessage" | "heartbeatAt" | "result" | "error" | "executionId">
>;

export interface TaskStore {
  /** Durable before it resolves (a tasks/get right after must find it); rejects if the id exists. */
  create(record: TaskRecord): Promise<void>;
  /** undefined when unknown, owned by another caller, or expired (ttlMs after lastUpdatedAt of a terminal task). */
  get(caller: string, taskId: string): Promise<TaskRecord | undefined>;
  /** Applies a patch unless the task is already terminal (terminal states are sticky: returns the stored record unchanged). Sets lastUpdatedAt. undefined when unknown. */
  update(caller: string, taskId: string, patch: TaskPatch): Promise<TaskRecord | undefined>;
  /** Sets cancelRequested on a working task (terminal: unchanged); returns the record, undefined when unknown. */
  requestCancel(caller: string, taskId: string): Promise<TaskRecord | undefined>;
}

/** Caller keys (see callers.ts: "default", token names, id-<hash>) and task ids: safe in paths and keys. */
export const CALLER_PATTERN = /^[a-z0-9-]{1,80}$/;
export const TASK_ID_PATTERN = /^[A-Za-z0-9-]{1,80}$/;

/** A caller or task id that no store accepts; a tasks/get naming one can answer "unknown task". */
export class InvalidTaskIdError extends TypeError {
  constructor(what: "caller" | "taskId", value: unknown) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 100)) : typeof value;
    const pattern = what === "caller" ? CALLER_PATTERN : TASK_ID_PATTERN;
    super(`invalid task ${what} ${shown}: expected ${pattern.source}`);
    this.name = "InvalidTaskIdError";
  }
}

export class DuplicateTaskError extends Error {
  constructor(caller: string, taskId: string) {
    super(`task ${taskId} of caller ${caller} already exists`);
    this.name = "DuplicateTaskError";
  }
}

export function isValidTaskId(taskId: unknown): taskId is string {
  return typeof taskId === "string" && TASK_ID_PATTERN.test(taskId);
}

export function checkCaller(caller: unknown): void {
  if (typeof caller !== "string" || !CALLER_PATTERN.test(caller))
    throw new InvalidTaskIdError("caller", caller);
}

export function checkTaskIds(caller: unknown, taskId: unknown): void {
  checkCaller(caller);
  if (!isValidTaskId(taskId)) throw new InvalidTaskIdError("taskId", taskId);
}

/** Refuses a record a store could not keep or read back faithfully. */
export function checkNewRecord(record: TaskRecord): void {
  checkTaskIds(record.caller, record.taskId);
  const times = [record.createdAt, record.lastUpdatedAt, record.heartbeatAt];
  if (times.some((time) => typeof time !== "string" || Number.isNaN(Date.parse(time)))) {
    throw new TypeError(
      `task ${record.taskId}: createdAt, lastUpdatedAt and heartbeatAt must be ISO-8601 times`,
    );
  }
  if (!(Number.isFinite(record.ttlMs) && record.ttlMs > 0)) {
    throw new RangeError(`task ${record.taskId}: ttlMs must be positive, not ${record.ttlMs}`);
  }
  if (!(Number.isFinite(record.pollIntervalMs) && record.pollIntervalMs >= 0)) {
    throw new RangeError(
      `task ${record.taskId}: pollIntervalMs must be zero or more, not ${record.pollIntervalMs}`,
    );
  }
  if (typeof record.owner !== "string" || record.owner.length === 0 || record.owner.length > 256) {
    throw new TypeError(`task ${record.taskId}: owner must be 1-256 characters`);
  }
}

/** Terminal and ttlMs past its last update: gone for tasks/get, whether or not it was deleted yet. */
export function isExpired(record: TaskRecord, nowMs: number): boolean {
  return TERMINAL.has(record.status) && Date.parse(record.lastUpdatedAt) + record.ttlMs <= nowMs;
}

/**
 * A live task untouched for ttlMs + ABANDONED_AFTER_MS was abandoned: its owner died and nobody
 * marked it failed (heartbeats update lastUpdatedAt, so a running one never gets here). Only
 * clean-up forgets these (the file sweep; the DynamoDB TTL, at the same time), never get.
 */
export const ABANDONED_AFTER_MS = 86_400_000;

export function isAbandoned(record: TaskRecord, nowMs: number): boolean {
  return (
    !TERMINAL.has(record.status) &&
    Date.parse(record.lastUpdatedAt) + record.ttlMs + ABANDONED_AFTER_MS <= nowMs
  );
}

/** The owner stopped refreshing heartbeatAt while the task was still live: it died (or froze). */
export function isHeartbeatStale(record: TaskRecord, nowMs: number, staleMs: number): boolean {
  return !TERMINAL.has(record.status) && Date.parse(record.heartbeatAt) + staleMs <= nowMs;
}

const MAX_STATUS_MESSAGE_CHARS = 4000;
const MAX_ERROR_MESSAGE_CHARS = 8000;
const MAX_ERROR_DATA_BYTES = 16 * 1024;

/**
 * The patch as a store keeps it: keys whose value is undefined mean "leave as is" (never "remove"),
 * and the free-text fields are bounded so that only `result` can make a record large (and that one
 * the stores pass through fitResult).
 */
export function boundPatch(patch: TaskPatch): TaskPatch {
  const out: TaskPatch = {};
  if (patch.status !== undefined) out.status = patch.status;
  if (patch.heartbeatAt !== undefined) out.heartbeatAt = patch.heartbeatAt;
  if (patch.executionId !== undefined) out.executionId = patch.executionId;
  if (patch.result !== undefined) out.result = patch.result;
  if (patch.statusMessage !== undefined)
    out.statusMessage = clip(patch.statusMessage, MAX_STATUS_MESSAGE_CHARS);
  if (patch.error !== undefined) {
    const error: TaskError = {
      code: patch.error.code,
      message: clip(patch.error.message, MAX_ERROR_MESSAGE_CHARS),
    };
    if (patch.error.data !== undefined) {
      const size = Buffer.byteLength(JSON.stringify(patch.error.data) ?? "");
      if (size <= MAX_ERROR_DATA_BYTES) error.data = patch.error.data;
      else error.message += ` [error data of ${size} bytes dropped from the task record]`;
    }
    out.error = error;
  }
  return out;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} characters cut]`;
}
