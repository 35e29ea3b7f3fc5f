import { eventFor, lambdaContext } from "@jupyter-mcp/event-adapter/testing";
import path from "node:path";
import { PassThrough, type Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { tempStateRoot } from "./support/harness.js";

// dist/lambda.js with MCP_LAMBDA_STREAMING=1 under a stand-in for the Node runtime's streaming API,
// following its documented contract: streamifyResponse(handler) gives the function Lambda invokes,
// and HttpResponseStream.from(stream, prelude) writes the JSON prelude, 8 NUL bytes, then the body.
// https://docs.aws.amazon.com/lambda/latest/dg/response-streaming-tutorial.html
// The image tests run the same entry under the real aws-lambda-ric.
const here = path.dirname(fileURLToPath(import.meta.url));
const TOKEN = "streaming-test-token";

interface Chunk {
  at: number;
  text: string;
}
type Invoke = (
  event: unknown,
  context: unknown,
) => Promise<{ prelude: Record<string, unknown>; chunks: Chunk[] }>;

let invoke: Invoke;
let shutdown: () => Promise<void>;

beforeAll(async () => {
  Object.assign(process.env, {
    JUPYTER_STATE_ROOT: tempStateRoot("lambda-stream"),
    MCP_AUTH_TOKEN: TOKEN,
    MCP_LAMBDA_STREAMING: "1",
    MCP_PROGRESS_INTERVAL_SECONDS: "1",
    LOG_LEVEL: "error",
    AWS_LAMBDA_FUNCTION_NAME: "jupyter-mcp",
  });
  const preludes = new WeakMap<Writable, Record<string, unknown>>();
  (globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse:
      (handler: (event: unknown, stream: Writable, context: unknown) => Promise<void>) =>
      async (event: unknown, context: unknown) => {
        const stream = new PassThrough();
        const chunks: Chunk[] = [];
        stream.on("data", (b: Buffer) => chunks.push({ at: Date.now(), text: b.toString("utf8") }));
        await handler(event, stream, context);
        return { prelude: preludes.get(stream) ?? {}, chunks };
      },
    HttpResponseStream: {
      from: (stream: Writable, prelude: Record<string, unknown>) => {
        preludes.set(stream, prelude);
        return stream;
      },
    },
  };
  const entry = (await import(path.resolve(here, "../dist/lambda.js"))) as {
    handler: Invoke;
    shutdown: () => Promise<void>;
  };
  ({ handler: invoke, shutdown } = entry);
}, 60_000);

afterAll(async () => shutdown?.());

const headers = {
  authorization: `Bearer ${TOKEN}`,
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

test("a Function URL call with a progressToken streams progress while the cell runs, then the result", async () => {
  const started = Date.now();
  const { prelude, chunks } = await invoke(
    eventFor("function-url", {
      method: "POST",
      path: "/mcp",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: {
          name: "execute_code",
          arguments: {
            code: "import time\nfor i in range(4):\n    print('tick', i, flush=True)\n    time.sleep(0.8)",
          },
          _meta: { progressToken: "t" },
        },
      }),
    }),
    lambdaContext({ getRemainingTimeInMillis: () => 600_000 }),
  );
  expect(prelude.statusCode).toBe(200);
  expect((prelude.headers as Record<string, string>)["content-type"]).toMatch(/text\/event-stream/);
  const all = chunks.map((c) => c.text).join("");
  expect(all).toContain("notifications/progress");
  expect(all).toContain("tick 3");
  const firstProgress = chunks.find((c) => c.text.includes("notifications/progress"))!;
  const last = chunks[chunks.length - 1]!;
  // Written as it happened, not at the end: the first progress came well before the result.
  expect(last.at - firstProgress.at).toBeGreaterThan(500);
  expect(firstProgress.at - started).toBeLessThan(last.at - started);
}, 60_000);

test("a call without a progressToken streams one JSON body; a keep-warm ping answers JSON", async () => {
  const { prelude, chunks } = await invoke(
    eventFor("function-url", {
      method: "POST",
      path: "/mcp",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 6,
        method: "tools/call",
        params: { name: "execute_code", arguments: { code: "6*7" } },
      }),
    }),
    lambdaContext(),
  );
  expect((prelude.headers as Record<string, string>)["content-type"]).toMatch(/application\/json/);
  expect(chunks.map((c) => c.text).join("")).toContain("42");
  const ping = await invoke({ warmer: true }, lambdaContext());
  expect(JSON.parse(ping.chunks.map((c) => c.text).join(""))).toMatchObject({ warmed: true });
}, 60_000);

test("with tenant isolation, an environment refuses a caller that is not its tenant", async () => {
  const event = eventFor("rest-api-v1", { method: "GET", path: "/health", headers });
  (event as unknown as { requestContext: Record<string, unknown> }).requestContext.authorizer = {
    principalId: "alice",
  };
  const mine = await invoke(event, { ...lambdaContext(), tenantId: "alice" });
  expect(mine.prelude.statusCode).toBe(200);
  const other = await invoke(event, { ...lambdaContext(), tenantId: "mallory" });
  expect(other.prelude.statusCode).toBe(403);
  expect(other.chunks.map((c) => c.text).join("")).toContain("tenant_mismatch");
});
