// The image in Lambda mode, as Lambda runs it: the image's ENTRYPOINT/CMD (aws-lambda-ric with
// lambda.handler) under bubblewrap with a read-only root, a tmpfs /tmp, no HOME, Lambda's
// variables, uid 10001, talking to a local Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) fed real event shapes.
// Needs the built image (`pnpm image:build`); fails, never skips, without it.
import type { InvokeResult, RuntimeApi } from "../../image/runtime-api.mjs";
import { stopImage, type SandboxChild } from "../../image/sandbox.mjs";
import {
  httpApiV2Event,
  initializeParams,
  jsonRpcFromResult,
  mcpEvent,
  scheduledEvent,
} from "../../image/events.mjs";
import {
  lastJsonLine,
  NUMPY_PANDAS,
  PLOT,
  PNG_MAGIC,
  PROBE,
  startLambdaImage,
  texts,
  type ToolContent,
} from "./helpers.js";

const TOKEN = "image-test-token-0123456789abcdef";
let api: RuntimeApi;
let child: SandboxChild | undefined;
let id = 0;

function describeFailure(r: InvokeResult): string {
  return `invocation failed: ${r.errorType ?? ""} ${r.raw}\n--- sandbox output ---\n${child?.output.slice(-4000)}`;
}

async function invokeOk(event: unknown, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const r = await api.invoke(event, { timeoutMs });
  if (!r.ok) throw new Error(describeFailure(r));
  return r.payload as Record<string, unknown>;
}

async function mcp(method: string, params?: unknown) {
  const result = await invokeOk(mcpEvent(method, params, { id: ++id, token: TOKEN }));
  expect(result.statusCode).toBe(200);
  const msg = jsonRpcFromResult(result);
  if (msg.error) throw new Error(`JSON-RPC error: ${JSON.stringify(msg.error)}`);
  return msg.result;
}

async function executeCode(code: string): Promise<{ content: ToolContent[]; isError?: boolean }> {
  return mcp("tools/call", { name: "execute_code", arguments: { code } });
}

beforeAll(async () => {
  ({ api, child } = await startLambdaImage({ MCP_AUTH_TOKEN: TOKEN }));
}, 180_000);

afterAll(async () => {
  if (child) await stopImage(child);
  await api?.close();
});

describe("image, Lambda mode (aws-lambda-ric + Runtime API, read-only sandbox)", () => {
  test("initialize over an HTTP API v2 event", async () => {
    const result = await mcp("initialize", initializeParams);
    expect(result.serverInfo?.name).toBeTruthy();
    expect(result.capabilities?.tools).toBeDefined();
  });

  test("tools/list has execute_code", async () => {
    const result = await mcp("tools/list", {});
    expect(result.tools.map((t: { name: string }) => t.name)).toContain("execute_code");
  });

  test("execute_code: numpy and pandas", async () => {
    const result = await executeCode(NUMPY_PANDAS);
    expect(result.isError).toBeFalsy();
    const out = texts(result.content);
    expect(out).toContain("sum_y 385");
    expect(out).toContain("mean_x 5.5");
  });

  test("execute_code: a matplotlib plot comes back as a PNG image", async () => {
    const result = await executeCode(PLOT);
    expect(result.isError).toBeFalsy();
    const images = result.content.filter((c) => c.type === "image");
    expect(images.length).toBeGreaterThanOrEqual(1);
    expect(images[0]?.mimeType).toBe("image/png");
    expect(images[0]?.data?.startsWith(PNG_MAGIC)).toBe(true);
  });

  test("user code runs unprivileged, cannot write outside /tmp, sees no AWS credentials, not even in /proc", async () => {
    const result = await executeCode(PROBE);
    const probe = lastJsonLine(texts(result.content));
    expect(probe).toMatchObject({
      uid: 10001,
      secret_env: [],
      write_task_root: false,
      write_etc: false,
      write_tmp: true,
      // Credentials are not in any process's exec environment, Node's included (entrypoint + sealed-env.mjs).
      proc_env_leaks: [],
    });
  });

  test("a scheduled keep-warm ping is answered without MCP", async () => {
    const r = await api.invoke(scheduledEvent(), { timeoutMs: 30_000 });
    if (!r.ok) throw new Error(describeFailure(r));
    const r2 = await api.invoke({ warmer: true }, { timeoutMs: 30_000 });
    if (!r2.ok) throw new Error(describeFailure(r2));
  });

  test("GET /health", async () => {
    const result = await invokeOk(httpApiV2Event({ method: "GET", path: "/health" }));
    expect(result.statusCode).toBe(200);
  });

  test("a request without the token is refused", async () => {
    const result = await invokeOk(mcpEvent("tools/list", {}, { id: ++id }));
    expect(result.statusCode).toBe(401);
  });

  test("the runtime stayed up and posted no init error", () => {
    expect(api.initError).toBeUndefined();
    expect(child?.exitCode).toBeNull();
  });
});
