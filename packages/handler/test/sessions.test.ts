import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempStateRoot } from "./support/harness.js";
import { startDynalite, type TestDynamo } from "./support/dynalite.js";
import { startS3, type TestS3 } from "./support/s3.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

// Two server processes sharing one bucket (s3rver) and one session table (dynalite): two Lambda
// environments or Fargate tasks. Callers alice and bob on named tokens.
const TOKENS = { alice: "alice-token-0123456789", bob: "bob-token-0123456789" };
const KEY = "a-checkpoint-key-of-at-least-32-characters";

let s3: TestS3;
let dynamo: TestDynamo;
const servers: ServerProcess[] = [];

function serverEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    PORT: "0",
    LOG_LEVEL: "info",
    JUPYTER_STATE_ROOT: tempStateRoot("session-server"),
    MCP_AUTH_TOKENS: `alice=${TOKENS.alice},bob=${TOKENS.bob}`,
    MCP_CHECKPOINT_KEY: KEY,
    MCP_SPARE_KERNELS: "0",
    MCP_SESSION_LEASE_SECONDS: "5",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    ...s3.env,
    ...dynamo.env,
  };
}

async function startServer(): Promise<ServerProcess> {
  const server = await startServerProcess(serverEnv());
  servers.push(server);
  return server;
}

interface CallResult {
  text: string;
  notes: string[];
  status: string;
}

async function run(
  server: ServerProcess,
  caller: keyof typeof TOKENS,
  code: string,
  timeout = 60,
): Promise<CallResult> {
  const res = await fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS[caller]}` },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "execute_code", arguments: { code, timeout } },
    }),
  });
  const body = (await res.json()) as {
    result?: { content: { text?: string }[]; structuredContent: { notes: string[]; status: string } };
    error?: { message: string };
  };
  if (!body.result) throw new Error(`call failed (${res.status}): ${JSON.stringify(body.error)}`);
  return {
    text: body.result.content.map((c) => c.text ?? "").join("\n"),
    notes: body.result.structuredContent.notes,
    status: body.result.structuredContent.status,
  };
}

const CHECKPOINTED = /"message":"session checkpointed"/g;

/**
 * Runs a call and waits until the server logged the checkpoint it takes after responding: the
 * server answers first and checkpoints after, so only then does the state outlive the process.
 */
async function runAndCheckpoint(
  server: ServerProcess,
  caller: keyof typeof TOKENS,
  code: string,
): Promise<CallResult> {
  const before = server.log().match(CHECKPOINTED)?.length ?? 0;
  const result = await run(server, caller, code);
  const deadline = Date.now() + 30_000;
  while ((server.log().match(CHECKPOINTED)?.length ?? 0) === before) {
    if (Date.now() > deadline) throw new Error(`no checkpoint logged:\n${server.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return result;
}

beforeAll(async () => {
  s3 = await startS3("sessions-test");
  dynamo = await startDynalite();
});

afterAll(async () => {
  for (const server of servers) server.child.kill("SIGKILL");
  await dynamo?.close();
  await s3?.close();
});

describe("sessions across two servers", () => {
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(), startServer()]);
  });

  test("state follows a caller from one server to the other and back", async () => {
    await run(
      a,
      "alice",
      "x = 41\ndef double(v):\n    return 2 * v\nclass Box:\n    def __init__(self, v):\n        self.v = v\nbox = Box(5)\nsquare = lambda v: v * v",
    );
    const there = await run(b, "alice", "print(x + 1, double(4), box.v, square(3))\ny = 'from b'");
    expect(there.text).toContain("42 8 5 9");
    expect(there.notes.join(" ")).toMatch(/Restored \d+ variable\(s\) from the checkpoint of/);
    // Server a's kernel is now behind: it must restore rather than answer from its stale state.
    const back = await run(a, "alice", "print(y, x)");
    expect(back.text).toContain("from b 41");
    expect(back.notes.join(" ")).toMatch(/Restored/);
  });

  test("callers are isolated", async () => {
    await run(a, "bob", "secret = 'bob-only'");
    const alice = await run(b, "alice", "print('secret' in globals())");
    expect(alice.text).toContain("False");
    const bob = await run(b, "bob", "print(secret)");
    expect(bob.text).toContain("bob-only");
  });

  test("concurrent calls of one caller on both servers serialize, and both succeed", async () => {
    await run(a, "alice", "log = []");
    const [first, second] = await Promise.all([
      run(a, "alice", "import time\nlog.append('a-start'); time.sleep(2); log.append('a-end')"),
      run(b, "alice", "log.append('b')"),
    ]);
    expect(first.status).toBe("ok");
    expect(second.status).toBe("ok");
    const final = await run(a, "alice", "print(log)");
    // One ran entirely before the other: never b between a-start and a-end.
    expect(final.text).toMatch(/\['a-start', 'a-end', 'b'\]|\['b', 'a-start', 'a-end'\]/);
  });

  test("an unpicklable variable is reported and does not fail the call", async () => {
    const made = await run(a, "alice", "handle = open('scratch.txt', 'w')\nkept = 7");
    expect(made.status).toBe("ok");
    const next = await run(b, "alice", "print(kept, 'handle' in globals())");
    expect(next.text).toContain("7 False");
    expect(next.notes.join(" ")).toMatch(/handle/);
  });

  test("a kernel that dies is replaced by one restored from the last checkpoint", async () => {
    await runAndCheckpoint(b, "alice", "before_crash = 'kept'");
    const died = await run(b, "alice", "import os\nos._exit(1)");
    expect(died.status).toBe("error");
    const next = await run(b, "alice", "print(before_crash)");
    expect(next.text).toContain("kept");
    expect(next.notes.join(" ")).toMatch(/Restored \d+ variable\(s\)/);
  });

  test("a timed-out cell that forces a restart does not wipe the session: the next call restores it", async () => {
    await runAndCheckpoint(b, "alice", "through_restart = 'kept'");
    const stuck = await run(
      b,
      "alice",
      "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(0.05)",
      1,
    );
    expect(stuck.status).toBe("timeout");
    expect(stuck.notes.join(" ")).toMatch(/kernel was restarted/);
    const next = await run(b, "alice", "print(through_restart)");
    expect(next.text).toContain("kept");
    expect(next.notes.join(" ")).toMatch(/kept its last checkpoint.*Restored \d+ variable\(s\)/);
  });

  test("state survives a SIGKILL, with a new server process and a new state root", async () => {
    await runAndCheckpoint(a, "alice", "survivor = 'still here'");
    a.child.kill("SIGKILL");
    await new Promise((r) => a.child.once("exit", r));
    const c = await startServer();
    const after = await run(c, "alice", "print(survivor)");
    expect(after.text).toContain("still here");
  });

  test("a tampered checkpoint is refused with a clear message", async () => {
    await runAndCheckpoint(b, "bob", "target = 1");
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    const { Item } = await dynamo.client.send(
      new (await import("@aws-sdk/client-dynamodb")).GetItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: "session#bob" } },
      }),
    );
    const pointer = JSON.parse(JSON.stringify(Item)) as Record<string, { S?: string }>;
    const key = Object.values(pointer)
      .map((v) => v.S ?? "")
      .concat(JSON.stringify(Item))
      .join(" ")
      .match(/workspaces\/sessions\/bob\/manifests\/\d+\.json/)?.[0];
    expect(key).toBeDefined();
    const stored = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key! }));
    const doc = JSON.parse(await stored.Body!.transformToString()) as {
      manifest: { executionCount: number };
    };
    doc.manifest.executionCount += 1000;
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key!, Body: JSON.stringify(doc) }));
    const c = await startServer();
    const refused = await run(c, "bob", "print('target' in globals())");
    expect(refused.text).toContain("False");
    expect(refused.notes.join(" ")).toMatch(/failed its signature check.*not restored.*starts empty/);
    client.destroy();
  });
});

// The built Lambda entry, one fresh process per environment: it checkpoints before it answers (the
// environment is frozen once the runtime asks for the next event), so the state is there for the
// next environment as soon as the call returns.
const lambdaEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/lambda.js");
const LAMBDA_SCRIPT = `
  const { httpApiV2Event, lambdaContext } = await import("@jupyter-mcp/event-adapter/testing");
  const [dist, token, ...codes] = process.argv.slice(1);
  const { handler, shutdown } = await import(dist);
  const results = [];
  for (const code of codes) {
    const event = httpApiV2Event({
      method: "POST", path: "/mcp",
      headers: { "content-type": "application/json", authorization: "Bearer " + token },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call",
        params: { name: "execute_code", arguments: { code } } }),
    });
    const result = await handler(event, lambdaContext({ getRemainingTimeInMillis: () => 60_000 }));
    results.push(JSON.parse(result.body).result.structuredContent);
  }
  await shutdown();
  process.stdout.write(JSON.stringify(results) + "\\n");
  process.exit(0);`;

async function lambdaEnvironment(
  codes: string[],
): Promise<{ outputs: { text?: string }[]; notes: string[] }[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", LAMBDA_SCRIPT, lambdaEntry, TOKENS.alice, ...codes],
    { env: { ...serverEnv(), LOG_LEVEL: "error" }, cwd: path.dirname(lambdaEntry), timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as { outputs: { text?: string }[]; notes: string[] }[];
}

describe("sessions on Lambda", () => {
  test("a new environment restores what the last one did, right after it answered", async () => {
    await lambdaEnvironment(["lam = [1, 2, 3]\ndef total():\n    return sum(lam)"]);
    const [next] = await lambdaEnvironment(["print(total())"]);
    expect(JSON.stringify(next!.outputs)).toContain("6");
    expect(next!.notes.join(" ")).toMatch(/Restored \d+ variable\(s\)/);
  });
});
