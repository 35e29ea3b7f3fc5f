import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbTaskStore } from "../src/tasks/dynamodb-task-store.js";
import { FileTaskStore } from "../src/tasks/file-task-store.js";
import { DYNAMODB_RESULT_BYTES, jsonBytes } from "../src/tasks/fit-result.js";
import {
  DuplicateTaskError,
  InvalidTaskIdError,
  type TaskRecord,
  type TaskStore,
  TERMINAL,
} from "../src/tasks/task-store.js";
import { startDynalite, type TestDynamo } from "./support/dynalite.js";

// One contract, both stores, no mocks: files in a temp dir, DynamoDB as a real dynalite server
// (which enforces the 400 KB item limit). Two store instances on the same dir or table stand for
// two server processes.
let dynamo: TestDynamo;
let root: string;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  root = await mkdtemp(path.join(tmpdir(), "task-store-"));
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await dynamo?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

interface Kind {
  name: string;
  /** Two stores sharing one state: what two server processes would have. */
  pair(): Promise<[TaskStore, TaskStore]>;
}

const kinds: Kind[] = [
  {
    name: "file",
    async pair() {
      const dir = await mkdtemp(path.join(root, "files-"));
      return [new FileTaskStore(dir), new FileTaskStore(dir)];
    },
  },
  {
    name: "dynamodb",
    async pair() {
      const make = () => {
        // A client each, as two processes would have.
        const client = new DynamoDBClient({
          endpoint: dynamo.endpoint,
          region: "us-east-1",
          credentials: { accessKeyId: "dynalite", secretAccessKey: "dynalite" },
        });
        clients.push(client);
        return new DynamoDbTaskStore({ client, table: dynamo.tableName });
      };
      return [make(), make()];
    },
  },
];

function newRecord(caller = "alice", overrides: Partial<TaskRecord> = {}): TaskRecord {
  const now = new Date().toISOString();
  return {
    taskId: randomUUID(),
    caller,
    status: "working",
    createdAt: now,
    lastUpdatedAt: now,
    ttlMs: 60_000,
    pollIntervalMs: 1000,
    owner: "host-a/123/0badf00d",
    heartbeatAt: now,
    ...overrides,
  };
}

const done = (text: string) => ({ content: [{ type: "text", text }], isError: false });

describe.each(kinds)("$name task store", (kind) => {
  let a: TaskStore;
  let b: TaskStore;

  beforeEach(async () => {
    [a, b] = await kind.pair();
  });

  test("a created task is there for the other process right away, exactly as written", async () => {
    const record = newRecord("alice", { statusMessage: "running", executionId: "exec-1" });
    await a.create(record);
    expect(await b.get("alice", record.taskId)).toEqual(record);
    expect(await a.get("alice", record.taskId)).toEqual(record);
    expect(await a.get("alice", randomUUID())).toBeUndefined();
    expect(await a.update("alice", randomUUID(), { statusMessage: "x" })).toBeUndefined();
    expect(await a.requestCancel("alice", randomUUID())).toBeUndefined();
  });

  test("a second create of the same id is refused and leaves the first alone", async () => {
    const record = newRecord();
    await a.create(record);
    await expect(b.create({ ...record, owner: "host-b/9/ffff0000" })).rejects.toBeInstanceOf(
      DuplicateTaskError,
    );
    expect(await a.get("alice", record.taskId)).toEqual(record);
  });

  test("another caller can neither see, update nor cancel the task", async () => {
    const record = newRecord("alice");
    await a.create(record);
    expect(await b.get("bob", record.taskId)).toBeUndefined();
    expect(
      await b.update("bob", record.taskId, { status: "completed", result: done("hijack") }),
    ).toBeUndefined();
    expect(await b.requestCancel("bob", record.taskId)).toBeUndefined();
    expect(await a.get("alice", record.taskId)).toEqual(record);
  });

  test("update applies the patch and sets lastUpdatedAt; terminal states are sticky", async () => {
    const record = newRecord("alice", {
      createdAt: "2020-01-01T00:00:00.000Z",
      lastUpdatedAt: "2020-01-01T00:00:00.000Z",
    });
    await a.create(record);
    const beat = new Date().toISOString();
    const working = await a.update("alice", record.taskId, { heartbeatAt: beat, statusMessage: "step 1" });
    expect(working).toMatchObject({ status: "working", heartbeatAt: beat, statusMessage: "step 1" });
    expect(Date.parse(working!.lastUpdatedAt)).toBeGreaterThan(Date.parse(record.lastUpdatedAt));

    const completed = await a.update("alice", record.taskId, { status: "completed", result: done("42") });
    expect(completed).toMatchObject({ status: "completed", result: done("42"), statusMessage: "step 1" });

    for (const patch of [
      { status: "working" as const },
      { status: "failed" as const, error: { code: 1, message: "late" } },
    ]) {
      expect(await b.update("alice", record.taskId, patch)).toEqual(completed);
    }
    expect(await b.requestCancel("alice", record.taskId)).toEqual(completed);
    expect(await a.get("alice", record.taskId)).toEqual(completed);
  });

  test("requestCancel flags a working task, and the flag survives later updates", async () => {
    const record = newRecord();
    await a.create(record);
    const flagged = await b.requestCancel("alice", record.taskId);
    expect(flagged).toMatchObject({ status: "working", cancelRequested: true });
    const cancelled = await a.update("alice", record.taskId, {
      status: "cancelled",
      statusMessage: "interrupted",
    });
    expect(cancelled).toMatchObject({
      status: "cancelled",
      cancelRequested: true,
      statusMessage: "interrupted",
    });
    expect(await b.get("alice", record.taskId)).toEqual(cancelled);
  });

  test("a terminal task is gone ttlMs after its last update; a working one is not", async () => {
    const finished = newRecord("alice", { ttlMs: 400 });
    const running = newRecord("alice", { ttlMs: 400 });
    await a.create(finished);
    await a.create(running);
    await a.update("alice", finished.taskId, { status: "failed", error: { code: -32603, message: "boom" } });
    expect(await b.get("alice", finished.taskId)).toMatchObject({ status: "failed" });
    await sleep(600);
    expect(await b.get("alice", finished.taskId)).toBeUndefined();
    expect(await a.update("alice", finished.taskId, { statusMessage: "x" })).toBeUndefined();
    expect(await a.requestCancel("alice", finished.taskId)).toBeUndefined();
    expect(await b.get("alice", running.taskId)).toMatchObject({ status: "working" });
  });

  test("20 concurrent updates and a cancel from two processes lose nothing and end in one terminal state", async () => {
    const records = Array.from({ length: 3 }, () => newRecord());
    await Promise.all(records.map((record) => a.create(record)));
    await Promise.all(
      records.flatMap((record) => [
        ...Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).update("alice", record.taskId, {
            heartbeatAt: new Date().toISOString(),
            statusMessage: `step ${i}`,
            ...(i === 7 ? { executionId: "exec-7" } : {}),
          }),
        ),
        b.requestCancel("alice", record.taskId),
      ]),
    );
    for (const record of records) {
      // Each store writes only its fields: the cancel flag and the executionId survive all the others.
      const seen = await a.get("alice", record.taskId);
      expect(seen).toMatchObject({ status: "working", cancelRequested: true, executionId: "exec-7" });
      expect(seen?.statusMessage).toMatch(/^step \d+$/);
    }

    // Now the two processes race to finish each task, amid more heartbeats.
    const outcomes = await Promise.all(
      records.map((record) =>
        Promise.all([
          a.update("alice", record.taskId, { status: "completed", result: done("a won") }),
          b.update("alice", record.taskId, { status: "cancelled", statusMessage: "b won" }),
          ...Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? a : b).update("alice", record.taskId, { heartbeatAt: new Date().toISOString() }),
          ),
        ]),
      ),
    );
    for (const [index, record] of records.entries()) {
      const final = await b.get("alice", record.taskId);
      expect(TERMINAL.has(final!.status)).toBe(true);
      expect(await a.get("alice", record.taskId)).toEqual(final);
      // Both finishers see the one winner's record; the loser changed nothing.
      const [fromA, fromB] = outcomes[index]!;
      expect(fromA).toEqual(final);
      expect(fromB).toEqual(final);
      if (final!.status === "completed") expect(final).toMatchObject({ result: done("a won") });
      else expect(final).toMatchObject({ status: "cancelled", statusMessage: "b won" });
      if (final!.status === "cancelled") expect(final!.result).toBeUndefined();
      expect(final!.cancelRequested).toBe(true);
    }
  });

  test("ids that are not plain names are refused before they reach a path or key", async () => {
    const bad = ["", "../etc", "a/b", "a\\b", "x#y", "x.json", "with space", "é", "a".repeat(81)];
    const record = newRecord();
    await a.create(record);
    for (const id of bad) {
      await expect(a.get("alice", id)).rejects.toBeInstanceOf(InvalidTaskIdError);
      await expect(a.update("alice", id, { status: "completed" })).rejects.toBeInstanceOf(InvalidTaskIdError);
      await expect(a.requestCancel("alice", id)).rejects.toBeInstanceOf(InvalidTaskIdError);
      await expect(a.create(newRecord("alice", { taskId: id }))).rejects.toBeInstanceOf(InvalidTaskIdError);
    }
    for (const caller of [...bad, "Alice", "ALICE"]) {
      await expect(a.get(caller, record.taskId)).rejects.toBeInstanceOf(InvalidTaskIdError);
      await expect(a.create(newRecord(caller))).rejects.toBeInstanceOf(InvalidTaskIdError);
    }
    await expect(a.create({ ...newRecord(), ttlMs: 0 })).rejects.toThrow(/ttlMs/);
    await expect(a.create({ ...newRecord(), heartbeatAt: "yesterday" })).rejects.toThrow(/ISO-8601/);
  });

  test("a 1 MB text and 2 MB image result is kept whole in files, and fitted under the item limit in DynamoDB", async () => {
    const text = "line of output\n".repeat(70_000); // ~1 MB
    const image = "iVBORw0KGgo" + "A".repeat(2 * 1024 * 1024); // ~2 MB of base64
    const big = {
      content: [
        { type: "text", text },
        { type: "image", data: image, mimeType: "image/png" },
      ],
      structuredContent: {
        status: "ok",
        execution_id: "exec-big",
        outputs: [{ type: "stream", name: "stdout", text }],
      },
      isError: false,
    };
    const record = newRecord("alice", { executionId: "exec-big" });
    await a.create(record);
    const stored = await a.update("alice", record.taskId, { status: "completed", result: big });
    const seen = await b.get("alice", record.taskId);
    expect(seen).toEqual(stored);
    if (kind.name === "file") {
      expect(seen?.result).toEqual(big);
      return;
    }
    const result = seen!.result as typeof big;
    expect(jsonBytes(result)).toBeLessThanOrEqual(DYNAMODB_RESULT_BYTES);
    expect(result.isError).toBe(false);
    expect(result.content[0]?.text).toMatch(/too large for the task record/);
    expect(result.content[0]?.text).toMatch(/get_execution_output with execution_id "exec-big"/);
    expect(result.content.some((item) => item.type === "image")).toBe(false);
    expect(result.content.map((item) => item.text).join("\n")).toMatch(/image\/png image .* dropped/);
    expect(result.content[1]?.text?.startsWith("line of output\nline of output\n")).toBe(true);
    expect(result.content[1]?.text).toMatch(/\[truncated: \d+ of 1050000 characters kept\]$/);
    // The structured copy keeps its shape (the tool's outputSchema), with its text cut.
    expect(result.structuredContent).toMatchObject({
      status: "ok",
      execution_id: "exec-big",
      outputs: [{ type: "stream", name: "stdout" }],
    });
  });
});
