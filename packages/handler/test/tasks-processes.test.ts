import { tempStateRoot } from "./support/harness.js";
import { startDynalite, type TestDynamo } from "./support/dynalite.js";
import { MODERN, rawCall, TASKS, type TaskView } from "./support/modern.js";
import { startS3, type TestS3 } from "./support/s3.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

// Tasks across two server processes (two Lambda environments or Fargate tasks) sharing one bucket
// (s3rver) and one session table (dynalite), where the task records live: a task started on one is
// read and cancelled through the other.
const TOKENS = { alice: "alice-token-0123456789", bob: "bob-token-0123456789" };

let s3: TestS3;
let dynamo: TestDynamo;
let a: ServerProcess;
let b: ServerProcess;

function serverEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    PORT: "0",
    LOG_LEVEL: "info",
    JUPYTER_STATE_ROOT: tempStateRoot("tasks-server"),
    MCP_AUTH_TOKENS: `alice=${TOKENS.alice},bob=${TOKENS.bob}`,
    MCP_CHECKPOINT_KEY: "a-checkpoint-key-of-at-least-32-characters",
    MCP_SPARE_KERNELS: "0",
    MCP_TASK_AFTER_SECONDS: "2",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    ...s3.env,
    ...dynamo.env,
  };
}

/** A tasks/* request in the 2026-07-28 shape, with the extension declared. */
async function taskRequest(
  server: ServerProcess,
  caller: keyof typeof TOKENS,
  method: "tasks/get" | "tasks/cancel",
  taskId: string,
): Promise<{ result?: TaskView & Record<string, unknown>; error?: { code: number; message: string } }> {
  const res = await fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${TOKENS[caller]}`,
      "mcp-protocol-version": MODERN,
      "mcp-method": method,
      "mcp-name": taskId,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 9,
      method,
      params: {
        taskId,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN,
          "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": { extensions: { [TASKS]: {} } },
        },
      },
    }),
  });
  return (await res.json()) as {
    result?: TaskView & Record<string, unknown>;
    error?: { code: number; message: string };
  };
}

async function settleOn(server: ServerProcess, taskId: string, withinMs = 60_000): Promise<TaskView> {
  const until = Date.now() + withinMs;
  for (;;) {
    const { result, error } = await taskRequest(server, "alice", "tasks/get", taskId);
    if (!result) throw new Error(`tasks/get failed: ${JSON.stringify(error)}`);
    if (["completed", "failed", "cancelled"].includes(result.status)) return result;
    if (Date.now() > until) throw new Error(`task still ${result.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const text = (task: TaskView) => (task.result?.content ?? []).map((c) => c.text ?? "").join("\n");

beforeAll(async () => {
  s3 = await startS3("tasks-test");
  dynamo = await startDynalite();
  [a, b] = await Promise.all([startServerProcess(serverEnv()), startServerProcess(serverEnv())]);
}, 90_000);

afterAll(async () => {
  for (const server of [a, b]) server?.child.kill("SIGKILL");
  await dynamo?.close();
  await s3?.close();
});

describe("tasks across two server processes", () => {
  test("a task started on one server completes and is read, result inlined, on the other", async () => {
    const created = await rawCall(
      a.url,
      "execute_code",
      { code: "import time\ntime.sleep(4)\nprint('done on a')" },
      {
        tasks: true,
        token: TOKENS.alice,
      },
    );
    expect(created).toMatchObject({ resultType: "task", status: "working" });
    const onB = await taskRequest(b, "alice", "tasks/get", created.taskId);
    expect(onB.result).toMatchObject({ taskId: created.taskId, status: "working", resultType: "complete" });
    const done = await settleOn(b, created.taskId);
    expect(done.status).toBe("completed");
    expect(text(done)).toContain("done on a");
  }, 90_000);

  test("another caller cannot see or cancel it", async () => {
    const created = await rawCall(
      a.url,
      "execute_code",
      { code: "import time\ntime.sleep(3)" },
      {
        tasks: true,
        token: TOKENS.alice,
      },
    );
    for (const server of [a, b]) {
      expect((await taskRequest(server, "bob", "tasks/get", created.taskId)).error?.code).toBe(-32602);
      expect((await taskRequest(server, "bob", "tasks/cancel", created.taskId)).error?.code).toBe(-32602);
    }
    expect((await settleOn(a, created.taskId)).status).toBe("completed");
  }, 60_000);

  test("tasks/cancel through the other server interrupts the cell where it runs", async () => {
    const created = await rawCall(
      a.url,
      "execute_code",
      { code: "before = 'kept'\nimport time\nfor i in range(120):\n    time.sleep(0.5)\nafter = 'never'" },
      { tasks: true, token: TOKENS.alice },
    );
    const ack = await taskRequest(b, "alice", "tasks/cancel", created.taskId);
    expect(ack.result).toEqual(expect.objectContaining({ resultType: "complete" }));
    expect(ack.result && "status" in ack.result).toBe(false);
    expect((await settleOn(a, created.taskId, 10_000)).status).toBe("cancelled");
    // The owner sees the cancel on its next heartbeat and interrupts: the kernel is free again
    // long before the cell's 60 s, with the variables it had.
    const started = Date.now();
    const next = await rawCall(
      a.url,
      "execute_code",
      { code: "print(before, 'after' in globals())" },
      {
        tasks: true,
        token: TOKENS.alice,
      },
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    const out =
      (next as unknown as { content?: { text?: string }[] }).content?.map((c) => c.text ?? "").join("\n") ??
      "";
    expect(out).toContain("kept False");
  }, 90_000);
});
