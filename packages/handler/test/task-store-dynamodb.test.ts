import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { createTaskStore } from "../src/tasks/create-store.js";
import { DynamoDbTaskStore, TaskTableError } from "../src/tasks/dynamodb-task-store.js";
import { FileTaskStore } from "../src/tasks/file-task-store.js";
import type { TaskRecord } from "../src/tasks/task-store.js";
import { startDynalite, type TestDynamo } from "./support/dynalite.js";

// How the DynamoDB store lays records into the session table, and how the server picks a store.
let dynamo: TestDynamo;
let root: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  root = await mkdtemp(path.join(tmpdir(), "task-create-"));
});

afterAll(async () => {
  await dynamo?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function newRecord(overrides: Partial<TaskRecord> = {}): TaskRecord {
  const now = new Date().toISOString();
  return {
    taskId: randomUUID(),
    caller: "alice",
    status: "working",
    createdAt: now,
    lastUpdatedAt: now,
    ttlMs: 90_000,
    pollIntervalMs: 1000,
    owner: "host/1/abcdef01",
    heartbeatAt: now,
    ...overrides,
  };
}

test("items are task#<caller>#<id>, with the table's TTL attribute at the record's expiry", async () => {
  const store = new DynamoDbTaskStore({ client: dynamo.client, table: dynamo.tableName });
  const record = newRecord();
  await store.create(record);
  const item = async () =>
    (
      await dynamo.client.send(
        new GetItemCommand({
          TableName: dynamo.tableName,
          Key: { pk: { S: `task#alice#${record.taskId}` } },
          ConsistentRead: true,
        }),
      )
    ).Item;
  const nowSec = Date.now() / 1000;
  // Working: a day of slack past the ttl, so a task whose owner died is forgotten eventually.
  expect(Number((await item())?.expiresAt?.N)).toBeGreaterThan(nowSec + 86_400 + 85);
  await store.update("alice", record.taskId, { status: "completed", result: { content: [] } });
  const expiresAt = Number((await item())?.expiresAt?.N);
  expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(nowSec) + 90);
  expect(expiresAt).toBeLessThan(nowSec + 90 + 10);
  expect((await item())?.status?.S).toBe("completed");
});

test("createTaskStore takes the session table when one is set, else files under the state root", async () => {
  const viaTable = createTaskStore({
    table: dynamo.tableName,
    dynamodbEndpoint: dynamo.endpoint,
    stateRoot: root,
  });
  expect(viaTable).toBeInstanceOf(DynamoDbTaskStore);
  const record = newRecord();
  await viaTable.create(record);
  const direct = new DynamoDbTaskStore({ client: dynamo.client, table: dynamo.tableName });
  expect(await direct.get("alice", record.taskId)).toEqual(record);

  const viaFiles = createTaskStore({ stateRoot: root });
  expect(viaFiles).toBeInstanceOf(FileTaskStore);
  await viaFiles.create(record);
  expect(await readdir(path.join(root, "tasks", "alice"))).toEqual([`${record.taskId}.json`]);
});

test("a missing table is named in the error, with what to check", async () => {
  const store = createTaskStore({
    table: "no-such-table",
    dynamodbEndpoint: dynamo.endpoint,
    stateRoot: root,
  });
  const failure = store.get("alice", randomUUID());
  await expect(failure).rejects.toBeInstanceOf(TaskTableError);
  await expect(failure).rejects.toThrow(/"no-such-table".*ResourceNotFoundException.*MCP_SESSION_TABLE/);
});
