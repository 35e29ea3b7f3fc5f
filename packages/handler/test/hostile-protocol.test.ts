import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "../src/http/node-server.js";
import { JupyterServerProcess } from "../src/jupyter/server-process.js";
import { call, connectClient, rpc, startTestServer, tempStateRoot, textOf } from "./support/harness.js";
import { startS3, type TestS3 } from "./support/s3.js";

// What a hostile user found in the protocol layer: bad params answered as internal errors with zod's
// dump, and valid JSON that is not JSON-RPC answered as a parse error.
let server: RunningServer;
let client: Client;

beforeAll(async () => {
  server = await startTestServer();
  client = await connectClient(server.url);
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

interface RpcError {
  jsonrpc: string;
  id: unknown;
  error: { code: number; message: string };
}

/** One short sentence: no zod issue dump (JSON, "invalid_type", stack-like lines). */
const expectShortSentence = (message: string) => {
  expect(message.length).toBeLessThan(200);
  expect(message).not.toMatch(/[[{]|invalid_type|"expected"|\n/);
};

describe("invalid params are -32602 with a message that names the field", () => {
  test.each([
    [{ code: 5 }, /Invalid arguments for tool execute_code: "code" must be a string, not a number\./],
    [{}, /Invalid arguments for tool execute_code: "code" is required \(a string\)\./],
    [{ code: "1", timeout: -1 }, /"timeout" must be greater than 0\./],
  ])("execute_code with %j, through the official SDK client", async (args, pattern) => {
    const failure = await client.callTool({ name: "execute_code", arguments: args }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(McpError);
    expect((failure as McpError).code).toBe(-32602);
    const message = (failure as McpError).message.replace(/^MCP error -32602: /, "");
    expect(message).toMatch(pattern);
    expectShortSentence(message);
  });

  test("an unknown tool is -32602 and points at tools/list", async () => {
    const failure = (await client
      .callTool({ name: "no_such_tool", arguments: {} })
      .catch((e) => e)) as McpError;
    expect(failure.code).toBe(-32602);
    expect(failure.message).toMatch(/Unknown tool "no_such_tool"; call tools\/list/);
  });

  test("nested arguments name their path; enum values are listed", async () => {
    const failure = (await client
      .callTool({ name: "create_notebook", arguments: { filename: "x", cells: [{ type: "x", source: "" }] } })
      .catch((e) => e)) as McpError;
    expect(failure.code).toBe(-32602);
    expect(failure.message).toMatch(/"cells\[0\]\.type" must be one of "code", "markdown"/);
  });

  test.each([
    ["params missing", undefined, /Invalid params for tools\/call: "params" is required \(an object\)\./],
    ["name missing", { arguments: {} }, /"params\.name" is required \(a string\)/],
    [
      "arguments a number",
      { name: "execute_code", arguments: 5 },
      /"params\.arguments" must be an object, not a number/,
    ],
  ])("raw tools/call with %s: -32602 with the request's id", async (_label, params, pattern) => {
    const res = await rpc(server.url, {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      ...(params ? { params } : {}),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RpcError;
    expect(body).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32602 } });
    expect(body.error.message).toMatch(pattern);
    expectShortSentence(body.error.message);
  });

  test("valid calls still run, and a tool's own failure is still a tool error", async () => {
    expect(textOf(await call(client, "execute_code", { code: "print(6 * 7)" }))).toContain("42");
    const missing = await call(client, "read_notebook", { filename: "nope.ipynb" });
    expect(missing.isError).toBe(true);
  });
});

describe("valid JSON that is no JSON-RPC request is -32600 Invalid Request", () => {
  test.each([
    ['{"foo":1}', null, /no JSON-RPC members/],
    ["[]", null, /empty array/],
    ["42", null, /number 42, not a JSON-RPC object/],
    ['"hello"', null, /string "hello"/],
    ['{"jsonrpc":"2.0","method":5,"id":1}', 1, /"method" must be a non-empty string \(found number 5\)/],
    ['{"jsonrpc":"1.0","method":"ping","id":"a"}', "a", /"jsonrpc" must be "2\.0"/],
    ['{"jsonrpc":"2.0","method":"ping","id":1.5}', null, /"id" must be a string or an integer/],
    [
      '{"jsonrpc":"2.0","method":"ping","id":2,"params":[1]}',
      2,
      /"params" must be an object \(found an array\)/,
    ],
    ['{"jsonrpc":"2.0","method":"ping","id":3,"extra":true}', 3, /unexpected member "extra"/],
    ['[{"jsonrpc":"2.0","method":"ping","id":4}, 5]', null, /batch item 1: the message is number 5/],
  ])("%s", async (body, id, pattern) => {
    const res = await rpc(server.url, body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as RpcError;
    expect(answer).toMatchObject({ jsonrpc: "2.0", id, error: { code: -32600 } });
    expect(answer.error.message).toMatch(/^Invalid Request: /);
    expect(answer.error.message).toMatch(pattern);
  });

  test("malformed JSON is still -32700 Parse error", async () => {
    const res = await rpc(server.url, '{"jsonrpc": "2.0", "id": 1,');
    expect(res.status).toBe(400);
    expect(((await res.json()) as RpcError).error.code).toBe(-32700);
  });

  test("the README's plain curl examples (no Accept header) still get JSON", async () => {
    const init = await rpc(server.url, {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2024-11-05",
        capabilities: {},
        clientInfo: { name: "test", version: "1.0.0" },
      },
    });
    expect(init.status).toBe(200);
    expect(init.headers.get("content-type")).toMatch(/application\/json/);
    expect(((await init.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe(
      "jupyter-mcp",
    );
    const run = await rpc(server.url, {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "execute_code", arguments: { code: 'print("Hello from Lambda!")' } },
    });
    expect(run.status).toBe(200);
    expect(JSON.stringify(await run.json())).toContain("Hello from Lambda!");
    // A notification alone is accepted with 202, as before.
    const note = await rpc(server.url, { jsonrpc: "2.0", method: "notifications/initialized" });
    expect(note.status).toBe(202);
  });
});

describe("the built server's stdout and stderr are one JSON object per line", () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const entry = path.resolve(here, "../dist/server.js");
  let s3: TestS3;
  beforeAll(async () => {
    // A bucket makes the server build S3 clients (the AWS SDK warns on Node < 22 through process warnings).
    s3 = await startS3("hostile-logs");
  });
  afterAll(async () => s3?.close());

  test("with kernels of its own: a traceback, a kernel death, a restart, S3, bad requests, shutdown", async () => {
    expectJsonLines(await drive({}));
  });

  test("with a Jupyter server's kernels (JUPYTER_URL), whose library narrates on the console", async () => {
    const jupyter = new JupyterServerProcess({
      stateRoot: tempStateRoot("logs-jupyter"),
      python: "/usr/bin/python3",
    });
    try {
      const { baseUrl, token } = await jupyter.ensureRunning();
      expectJsonLines(await drive({ JUPYTER_URL: baseUrl, JUPYTER_TOKEN: token }));
    } finally {
      await jupyter.stop();
    }
  });

  /** Runs dist/server.js through the calls a hostile user makes; returns what it wrote. */
  async function drive(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
    if (!existsSync(entry)) {
      throw new Error(
        `${entry} is missing: build first (cd packages/handler && npx tsc -p tsconfig.build.json).`,
      );
    }
    const child = spawn(process.execPath, [entry], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        PORT: "0",
        JUPYTER_STATE_ROOT: tempStateRoot("logs"),
        LOG_LEVEL: "debug",
        ...s3.env,
        // s3rver's fixed credentials, which startS3 put in this process's environment.
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_REGION: "us-east-1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { stdout: "", stderr: "" };
    child.stdout.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    let client: Client | undefined;
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const found = /"url":"(http:[^"]+)\/mcp"/.exec(output.stderr);
          if (found) {
            clearInterval(timer);
            resolve(found[1]!);
          }
        }, 50);
        void exited.then((code) => {
          clearInterval(timer);
          reject(new Error(`the server exited (code ${code}):\n${output.stderr}`));
        });
      });
      client = await connectClient(url);
      expect(textOf(await call(client, "execute_code", { code: "print('hi')" }))).toContain("hi");
      const raised = await call(client, "execute_code", {
        code: "def f():\n    raise ValueError('bad')\nf()",
      });
      expect(raised.isError).toBe(true);
      await call(client, "execute_code", { code: "import sys; print('to stderr', file=sys.stderr)" });
      await call(client, "execute_code", { code: "import os; os._exit(1)" });
      await call(client, "restart_kernel", {});
      expect(textOf(await call(client, "execute_code", { code: "print('again')" }))).toContain("again");
      await call(client, "create_notebook", {
        filename: "n.ipynb",
        cells: [{ type: "code", source: "1/0" }],
      });
      await call(client, "execute_cell", { notebook_path: "n.ipynb", cell_index: 0 });
      await client.callTool({ name: "execute_code", arguments: { code: 5 } }).catch(() => undefined);
      await rpc(url, "[]");
      await rpc(url, "{not json");
    } finally {
      await client?.close().catch(() => undefined);
      child.kill("SIGTERM");
      await exited;
    }
    expect(output.stderr).toMatch(/"message":"listening"/);
    return output;
  }

  function expectJsonLines(output: { stdout: string; stderr: string }): void {
    for (const [stream, text] of Object.entries(output)) {
      const bad = text
        .split("\n")
        .filter((line) => line !== "")
        .filter((line) => {
          try {
            const value: unknown = JSON.parse(line);
            return typeof value !== "object" || value === null || Array.isArray(value);
          } catch {
            return true;
          }
        });
      expect({ stream, bad: bad.slice(0, 5) }).toEqual({ stream, bad: [] });
    }
  }
});
