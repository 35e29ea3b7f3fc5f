import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ABANDONED_AFTER_MS, TERMINAL, type TaskRecord, type TaskStatus } from "./task-store.js";

/**
 * A task record as an item of the session table (whose one key is the string `pk`, and whose TTL
 * attribute is `expiresAt`, epoch seconds; see sessions/lease-table.ts). Each record field is an
 * attribute of its own, so an update SETs only what it changes and two writers never overwrite
 * each other's fields; result and error are JSON strings.
 *
 *   pk             S    "task#<caller>#<taskId>"   (neither may hold '#': checkTaskIds)
 *   caller taskId status createdAt lastUpdatedAt owner heartbeatAt        S
 *   statusMessage executionId result error                                S, when set
 *   ttlMs pollIntervalMs                                                   N
 *   cancelRequested                                                        BOOL, when set
 *   ttlSec         N    ceil(ttlMs / 1000): lets an update compute expiresAt without a read
 *   expiresAt      N    epoch s: lastUpdated + ttl when terminal, + ABANDONED_AFTER_MS more while live
 */
export const PARTITION_KEY = "pk";
export const TASK_ITEM_PREFIX = "task#";
export const TTL_ATTRIBUTE = "expiresAt";

const STRING_FIELDS = [
  "caller",
  "taskId",
  "status",
  "createdAt",
  "lastUpdatedAt",
  "owner",
  "heartbeatAt",
] as const;
const OPTIONAL_STRING_FIELDS = ["statusMessage", "executionId"] as const;

export function taskKey(caller: string, taskId: string): Record<string, AttributeValue> {
  return { [PARTITION_KEY]: { S: `${TASK_ITEM_PREFIX}${caller}#${taskId}` } };
}

/** Seconds added to "now" (rounded up) for expiresAt: a live task keeps a day of slack past its ttl. */
export function expiryGraceSec(status: TaskStatus): number {
  return TERMINAL.has(status) ? 0 : ABANDONED_AFTER_MS / 1000;
}

export function ttlSec(ttlMs: number): number {
  return Math.ceil(ttlMs / 1000);
}

/** The full item for a new record; `resultJson` is the (already fitted) result. */
export function recordToItem(
  record: TaskRecord,
  resultJson: string | undefined,
): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { ...taskKey(record.caller, record.taskId) };
  for (const field of STRING_FIELDS) item[field] = { S: record[field] };
  for (const field of OPTIONAL_STRING_FIELDS) {
    const value = record[field];
    if (value !== undefined) item[field] = { S: value };
  }
  item.ttlMs = { N: String(record.ttlMs) };
  item.pollIntervalMs = { N: String(record.pollIntervalMs) };
  item.ttlSec = { N: String(ttlSec(record.ttlMs)) };
  if (record.cancelRequested !== undefined) item.cancelRequested = { BOOL: record.cancelRequested };
  if (resultJson !== undefined) item.result = { S: resultJson };
  if (record.error !== undefined) item.error = { S: JSON.stringify(record.error) };
  const updatedSec = Math.ceil(Date.parse(record.lastUpdatedAt) / 1000);
  item[TTL_ATTRIBUTE] = { N: String(updatedSec + ttlSec(record.ttlMs) + expiryGraceSec(record.status)) };
  return item;
}

export function itemToRecord(item: Record<string, AttributeValue>, table: string): TaskRecord {
  const key = item[PARTITION_KEY]?.S ?? "?";
  const malformed = (what: string) =>
    new Error(
      `DynamoDB table "${table}" holds a malformed task item ${key} (${what}); delete it to forget the task`,
    );
  const text = (name: string): string => {
    const value = item[name]?.S;
    if (value === undefined) throw malformed(`no ${name}`);
    return value;
  };
  const number = (name: string): number => {
    const value = Number(item[name]?.N);
    if (!Number.isFinite(value)) throw malformed(`${name} is not a number`);
    return value;
  };
  const json = (name: string): unknown => {
    const raw = item[name]?.S;
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      throw malformed(`${name} is not JSON`);
    }
  };
  const record: TaskRecord = {
    taskId: text("taskId"),
    caller: text("caller"),
    status: text("status") as TaskStatus,
    createdAt: text("createdAt"),
    lastUpdatedAt: text("lastUpdatedAt"),
    ttlMs: number("ttlMs"),
    pollIntervalMs: number("pollIntervalMs"),
    owner: text("owner"),
    heartbeatAt: text("heartbeatAt"),
  };
  for (const field of OPTIONAL_STRING_FIELDS) {
    const value = item[field]?.S;
    if (value !== undefined) record[field] = value;
  }
  const cancelRequested = item.cancelRequested?.BOOL;
  if (cancelRequested !== undefined) record.cancelRequested = cancelRequested;
  const result = json("result");
  if (result !== undefined) record.result = result;
  const error = json("error");
  if (error !== undefined) record.error = error as TaskRecord["error"] & object;
  return record;
}
