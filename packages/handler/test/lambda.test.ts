import {
  eventFor,
  HTTP_EVENT_SHAPES,
  lambdaContext,
  resultToResponse,
  scheduledRuleEvent,
  schedulerWarmerEvent,
  warmupPluginEvent,
} from "@jupyter-mcp/event-adapter/testing";
import type { LambdaHttpResult } from "@jupyter-mcp/event-adapter";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempStateRoot } from "./support/harness.js";

// The built entry, dist/lambda.js, invoked the way Lambda invokes it: handler(event, context), with
// events from the adapter's factories (each modelled on the event AWS documents for its front door).
const here = path.dirname(fileURLToPath(import.meta.url));
const TOKEN = "lambda-test-token";
const logLines: string[] = [];
let handler: (event: unknown, context: unknown) => Promise<unknown>;
let shutdown: () => Promise<void>;

beforeAll(async () => {
  Object.assign(process.env, {
    JUPYTER_STATE_ROOT: tempStateRoot("lambda"),
    MCP_AUTH_TOKEN: TOKEN,
    LOG_LEVEL: "info",
    AWS_LAMBDA_FUNCTION_NAME: "jupyter-mcp",
    AWS_SECRET_ACCESS_KEY: "lambda-secret-key",
    AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001",
  });
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk === "string" && chunk.startsWith("{")) logLines.push(chunk);
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  const started = performance.now();
  ({ handler, shutdown } = (await import(path.resolve(here, "../dist/lambda.js"))) as {
    handler: typeof handler;
    shutdown: typeof shutdown;
  });
  expect(performance.now() - started).toBeGreaterThan(0);
});

afterAll(async () => shutdown?.());

const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const rpcBody = (id: number, method: string, params: unknown) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });
const callTool = (id: number, name: string, args: Record<string, unknown>) =>
  rpcBody(id, "tools/call", { name, arguments: args });

async function invoke(event: unknown, remainingMs = 120_000): Promise<Response> {
  const deadline = Date.now() + remainingMs;
  const result = await handler(
    event,
    lambdaContext({ getRemainingTimeInMillis: () => deadline - Date.now() }),
  );
  return resultToResponse(result as LambdaHttpResult);
}

describe.each(HTTP_EVENT_SHAPES)("dist/lambda.js with %s events", (shape) => {
  test("initialize, tools/call with a plot, health, 401, 404", async () => {
    const init = await invoke(
      eventFor(shape, {
        method: "POST",
        path: "/mcp",
        headers: auth,
        body: rpcBody(1, "initialize", {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "t", version: "1" },
        }),
      }),
    );
    expect(init.status).toBe(200);
    expect(((await init.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe(
      "jupyter-mcp",
    );

    const run = await invoke(
      eventFor(shape, {
        method: "POST",
        path: "/mcp",
        headers: auth,
        base64: true,
        body: callTool(2, "execute_code", {
          code: `import matplotlib.pyplot as plt\nplt.plot([1,2])\nplt.show()\nprint("via ${shape}")`,
        }),
      }),
    );
    expect(run.status).toBe(200);
    const body = (await run.json()) as {
      result: { content: { type: string; text?: string; mimeType?: string }[] };
    };
    expect(body.result.content[0]?.text).toContain(`via ${shape}`);
    expect(body.result.content.find((c) => c.type === "image")?.mimeType).toBe("image/png");

    const health = await invoke(eventFor(shape, { method: "GET", path: "/health" }));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", name: "jupyter-mcp", version: expect.any(String) });

    const denied = await invoke(
      eventFor(shape, { method: "POST", path: "/mcp", body: rpcBody(3, "tools/list", {}) }),
    );
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer/);

    const missing = await invoke(eventFor(shape, { method: "GET", path: "/nowhere", headers: auth }));
    expect(missing.status).toBe(404);
  });
});

describe.each(HTTP_EVENT_SHAPES)("dist/lambda.js, 2026-07-28 requests, with %s events", (shape) => {
  const modern = (method: string, name?: string) => ({
    ...auth,
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": method,
    ...(name ? { "mcp-name": name } : {}),
  });
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };

  test("server/discover and a tools/call without initialize, answered as JSON", async () => {
    const discover = await invoke(
      eventFor(shape, {
        method: "POST",
        path: "/mcp",
        headers: modern("server/discover"),
        body: rpcBody(1, "server/discover", { _meta: meta }),
      }),
    );
    expect(discover.status).toBe(200);
    const found = (await discover.json()) as { result: { supportedVersions: string[] } };
    expect(found.result.supportedVersions).toContain("2026-07-28");

    const run = await invoke(
      eventFor(shape, {
        method: "POST",
        path: "/mcp",
        headers: modern("tools/call", "execute_code"),
        body: rpcBody(2, "tools/call", {
          name: "execute_code",
          arguments: { code: `print("modern ${shape}")` },
          _meta: { ...meta, progressToken: 1 },
        }),
      }),
    );
    expect(run.status).toBe(200);
    // A buffered Lambda exchange cannot stream: no progress, a plain JSON answer.
    expect(run.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await run.json()) as {
      id: number;
      result: { content: { text?: string }[]; resultType: string };
    };
    expect(body.id).toBe(2);
    expect(body.result.resultType).toBe("complete");
    expect(body.result.content[0]?.text).toContain(`modern ${shape}`);
  });
});

describe("dist/lambda.js beyond HTTP", () => {
  test("an HTTP API named stage in the path is stripped", async () => {
    const res = await invoke(eventFor("http-api-v2", { method: "GET", path: "/health", stage: "prod" }));
    expect(res.status).toBe(200);
  });

  test.each([
    ["EventBridge rule", scheduledRuleEvent()],
    ["EventBridge Scheduler", schedulerWarmerEvent({ concurrency: 1 })],
    ["serverless-plugin-warmup", warmupPluginEvent()],
  ])("a %s ping warms the kernel and answers without HTTP", async (_name, event) => {
    const started = performance.now();
    const result = (await handler(event, lambdaContext())) as Record<string, unknown>;
    // One token means one caller: the ping keeps that caller's kernel up (and a spare beside it).
    expect(result).toMatchObject({ warmed: true });
    expect(result.kernels).toBeGreaterThanOrEqual(1);
    expect(result).not.toHaveProperty("statusCode");
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  test("an unknown event gets a clear error, not a crash", async () => {
    const result = (await handler({ hello: "world" }, lambdaContext())) as {
      statusCode: number;
      body: string;
    };
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ error: "unsupported_event" });
    expect(JSON.parse(result.body).message).toMatch(/Unsupported Lambda event/);
  });

  test("a cell that outlives the budget returns early; get_execution_output resumes it to the end", async () => {
    // Lambda time left 3.5 s less the 1.5 s margin: a 2 s budget for a 5 s cell.
    const first = await invoke(
      eventFor("function-url", {
        method: "POST",
        path: "/mcp",
        headers: auth,
        body: callTool(10, "execute_code", {
          code: "import time\nfor i in range(5):\n    print('tick', i, flush=True)\n    time.sleep(1)\n'finished'",
        }),
      }),
      3_500,
    );
    const firstBody = (await first.json()) as {
      result: { structuredContent: { status: string; execution_id: string; outputs: { text?: string }[] } };
    };
    const s1 = firstBody.result.structuredContent;
    expect(s1.status).toBe("running");
    expect(JSON.stringify(s1.outputs)).toContain("tick 0");
    expect(JSON.stringify(s1.outputs)).not.toContain("tick 4");

    let text = JSON.stringify(s1.outputs);
    let status = s1.status;
    for (let i = 0; i < 10 && status === "running"; i++) {
      const next = await invoke(
        eventFor("function-url", {
          method: "POST",
          path: "/mcp",
          headers: auth,
          body: callTool(11 + i, "get_execution_output", { execution_id: s1.execution_id, timeout: 10 }),
        }),
        5_000,
      );
      const s = (
        (await next.json()) as { result: { structuredContent: { status: string; outputs: unknown[] } } }
      ).result.structuredContent;
      status = s.status;
      text += JSON.stringify(s.outputs);
    }
    expect(status).toBe("ok");
    for (let i = 0; i < 5; i++) expect(text.split(`tick ${i}`).length - 1).toBe(1);
    expect(text).toContain("finished");
  });

  test("without any token source it refuses MCP calls with a clear 503, and starts no Jupyter", () => {
    const script = `
      const { httpApiV2Event, lambdaContext } = await import("@jupyter-mcp/event-adapter/testing");
      const { handler } = await import(${JSON.stringify(path.resolve(here, "../dist/lambda.js"))});
      const event = httpApiV2Event({ method: "POST", path: "/mcp", headers: { "content-type": "application/json" }, body: "{}" });
      const first = await handler(event, lambdaContext());
      const second = await handler(event, lambdaContext());
      // Not console.log: the entry routes console output into its JSON log (src/quiet.ts).
      process.stdout.write(JSON.stringify({ first, second }) + "\\n");
      process.exit(0);`;
    const stateRoot = tempStateRoot("no-token");
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: path.resolve(here, ".."),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", JUPYTER_STATE_ROOT: stateRoot, LOG_LEVEL: "silent" },
      encoding: "utf8",
    });
    const { first, second } = JSON.parse(out.trim().split("\n").pop()!) as {
      first: { statusCode: number; body: string };
      second: { statusCode: number };
    };
    expect(first.statusCode).toBe(503);
    expect(JSON.parse(first.body).message).toMatch(/No bearer token is configured.*MCP_ALLOW_INSECURE/);
    expect(second.statusCode).toBe(503);
    // A Jupyter start lays out its state directories first; none were made, on the first call or the retry.
    expect(readdirSync(stateRoot)).toEqual([]);
  });

  test("logs one JSON line per request, with no secrets, bodies or headers", () => {
    const requests = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.message === "request");
    expect(requests.length).toBeGreaterThan(10);
    for (const line of requests) {
      expect(Object.keys(line).sort()).toEqual(
        expect.arrayContaining(["requestId", "eventType", "durationMs", "status"].sort()),
      );
    }
    const all = logLines.join("");
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain("lambda-secret-key");
    expect(all).not.toContain("execute_code");
  });
});
