import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  expiryGraceSec,
  itemToRecord,
  PARTITION_KEY,
  recordToItem,
  taskKey,
  TTL_ATTRIBUTE,
} from "./dynamodb-task-item.js";
import { DYNAMODB_RESULT_BYTES, fitResult } from "./fit-result.js";
import {
  boundPatch,
  checkNewRecord,
  checkTaskIds,
  DuplicateTaskError,
  isExpired,
  TERMINAL,
  type TaskPatch,
  type TaskRecord,
  type TaskStore,
} from "./task-store.js";

/**
 * Task records in the session table (item layout in dynamodb-task-item.ts), for servers that share
 * one: every Lambda environment and Fargate task then answers tasks/get for any of them.
 *
 * - create is a put conditioned on attribute_not_exists(pk): durable when it resolves, never
 *   over an existing task.
 * - update and requestCancel SET only their fields, conditioned on the task existing and not
 *   being terminal, so terminal states are sticky without a read-modify-write; when the
 *   condition fails the stored record is read back and returned.
 * - Reads are strongly consistent: a tasks/get right after create or completion sees it.
 * - The table's TTL deletes expired items eventually (DynamoDB takes up to days), so get also
 *   checks expiry itself.
 */

export interface DynamoDbTaskStoreOptions {
  client: DynamoDBClient;
  table: string;
  /** Epoch ms; tests move it. */
  now?: () => number;
  /** Default DYNAMODB_RESULT_BYTES (300 KB), under the 400 KB item limit with room for the rest. */
  maxResultBytes?: number;
}

/** One DynamoDB call, retries included, never takes longer than this (as the lease table's calls). */
const CALL_TIMEOUT_MS = 3000;

const NOT_TERMINAL = `attribute_exists(#pk) AND NOT (#status IN (${[...TERMINAL].map((_, i) => `:t${i}`).join(", ")}))`;
const TERMINAL_VALUES = Object.fromEntries([...TERMINAL].map((status, i) => [`:t${i}`, { S: status }]));

export class TaskTableError extends Error {
  constructor(table: string, operation: string, err: unknown) {
    const e = (err ?? {}) as { name?: string; message?: string };
    super(
      `DynamoDB task records in table "${table}" could not be used (${operation}: ${e.name ?? "Error"}: ` +
        `${e.message ?? String(err)}). Check MCP_SESSION_TABLE, that the role allows dynamodb:GetItem, ` +
        `PutItem and UpdateItem on it, and MCP_DYNAMODB_ENDPOINT if set.`,
      { cause: err },
    );
    this.name = "TaskTableError";
  }
}

export class DynamoDbTaskStore implements TaskStore {
  readonly table: string;
  private readonly client: DynamoDBClient;
  private readonly now: () => number;
  private readonly maxResultBytes: number;

  constructor(options: DynamoDbTaskStoreOptions) {
    if (!options.table) throw new TypeError("DynamoDbTaskStore needs a table name (MCP_SESSION_TABLE)");
    this.client = options.client;
    this.table = options.table;
    this.now = options.now ?? Date.now;
    this.maxResultBytes = options.maxResultBytes ?? DYNAMODB_RESULT_BYTES;
  }

  async create(record: TaskRecord): Promise<void> {
    checkNewRecord(record);
    const stored: TaskRecord = { ...record, ...boundPatch(record) };
    const resultJson =
      stored.result === undefined
        ? undefined
        : JSON.stringify(fitResult(stored.result, this.maxResultBytes, stored.executionId));
    try {
      await this.call("create", (abortSignal) =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: recordToItem(stored, resultJson),
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": PARTITION_KEY },
          }),
          { abortSignal },
        ),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new DuplicateTaskError(record.caller, record.taskId);
      throw err;
    }
  }

  async get(caller: string, taskId: string): Promise<TaskRecord | undefined> {
    checkTaskIds(caller, taskId);
    return this.fresh(caller, taskId, await this.read(caller, taskId));
  }

  async update(caller: string, taskId: string, patch: TaskPatch): Promise<TaskRecord | undefined> {
    checkTaskIds(caller, taskId);
    const bounded = boundPatch(patch);
    const set: Record<string, AttributeValue> = {};
    if (bounded.status !== undefined) set.status = { S: bounded.status };
    if (bounded.statusMessage !== undefined) set.statusMessage = { S: bounded.statusMessage };
    if (bounded.heartbeatAt !== undefined) set.heartbeatAt = { S: bounded.heartbeatAt };
    if (bounded.executionId !== undefined) set.executionId = { S: bounded.executionId };
    if (bounded.error !== undefined) set.error = { S: JSON.stringify(bounded.error) };
    if (bounded.result !== undefined) set.result = { S: await this.resultJson(caller, taskId, bounded) };
    // A status change decides the expiry; otherwise the (live) task keeps its day of slack.
    return this.write("update", caller, taskId, set, expiryGraceSec(bounded.status ?? "working"));
  }

  async requestCancel(caller: string, taskId: string): Promise<TaskRecord | undefined> {
    checkTaskIds(caller, taskId);
    return this.write(
      "requestCancel",
      caller,
      taskId,
      { cancelRequested: { BOOL: true } },
      expiryGraceSec("working"),
    );
  }

  /** The result as stored: fitted to the item limit, its note naming the executionId if there is one. */
  private async resultJson(caller: string, taskId: string, patch: TaskPatch): Promise<string> {
    const whole = JSON.stringify(patch.result);
    if (Buffer.byteLength(whole) <= this.maxResultBytes) return whole;
    // Only an oversized result needs the stored executionId, for the note that says where the rest is.
    const executionId = patch.executionId ?? (await this.read(caller, taskId))?.executionId;
    return JSON.stringify(fitResult(patch.result, this.maxResultBytes, executionId));
  }

  /** SETs `set` plus lastUpdatedAt and expiresAt if the task exists and is not terminal. */
  private async write(
    operation: string,
    caller: string,
    taskId: string,
    set: Record<string, AttributeValue>,
    graceSec: number,
  ): Promise<TaskRecord | undefined> {
    const now = this.now();
    const names: Record<string, string> = { "#pk": PARTITION_KEY, "#status": "status" };
    const values: Record<string, AttributeValue> = { ...TERMINAL_VALUES };
    const assignments: string[] = [];
    const fields = { ...set, lastUpdatedAt: { S: new Date(now).toISOString() } };
    for (const [field, value] of Object.entries(fields)) {
      // Every name goes through ExpressionAttributeNames: status, owner, result, error are reserved words.
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      assignments.push(`#${field} = :${field}`);
    }
    names["#expiresAt"] = TTL_ATTRIBUTE;
    names["#ttlSec"] = "ttlSec";
    values[":expiryBase"] = { N: String(Math.ceil(now / 1000) + graceSec) };
    assignments.push("#expiresAt = :expiryBase + #ttlSec");
    try {
      const out = await this.call(operation, (abortSignal) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: taskKey(caller, taskId),
            UpdateExpression: `SET ${assignments.join(", ")}`,
            ConditionExpression: NOT_TERMINAL,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: "ALL_NEW",
            // Real DynamoDB returns the item that failed the check, saving a read; dynalite does not.
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
          { abortSignal },
        ),
      );
      return out.Attributes === undefined ? undefined : itemToRecord(out.Attributes, this.table);
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      // Unknown, or terminal: what the table holds is the answer.
      const item = (err as { Item?: Record<string, AttributeValue> }).Item;
      const stored = item === undefined ? await this.read(caller, taskId) : itemToRecord(item, this.table);
      return this.fresh(caller, taskId, stored);
    }
  }

  private async read(caller: string, taskId: string): Promise<TaskRecord | undefined> {
    const out = await this.call("get", (abortSignal) =>
      this.client.send(
        new GetItemCommand({ TableName: this.table, Key: taskKey(caller, taskId), ConsistentRead: true }),
        { abortSignal },
      ),
    );
    return out.Item === undefined ? undefined : itemToRecord(out.Item, this.table);
  }

  /** The stored record if it is this caller's task and not expired. */
  private fresh(caller: string, taskId: string, record: TaskRecord | undefined): TaskRecord | undefined {
    if (record === undefined || record.caller !== caller || record.taskId !== taskId) return undefined;
    return isExpired(record, this.now()) ? undefined : record;
  }

  /** One bounded call; failures other than a failed condition become a TaskTableError. */
  private async call<T>(operation: string, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await run(AbortSignal.timeout(CALL_TIMEOUT_MS));
    } catch (err) {
      if (isConditionFailed(err)) throw err;
      throw new TaskTableError(this.table, operation, err);
    }
  }
}

function isConditionFailed(err: unknown): boolean {
  return (err as Error | undefined)?.name === "ConditionalCheckFailedException";
}
