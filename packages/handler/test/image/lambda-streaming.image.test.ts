// The image's Lambda entry in response-streaming mode, as a Function URL with
// invoke_mode = "RESPONSE_STREAM" (or a REST API's STREAM integration) runs it: MCP_LAMBDA_STREAMING=1,
// the real aws-lambda-ric 4 wrapping `lambda.handler` in awslambda.streamifyResponse, under bwrap,
// against the local Runtime API, which keeps when each chunk of the streamed body arrived.
// The streamed body is the HTTP integration's contract: a JSON prelude (statusCode, headers), eight
// NUL bytes, then the body as written.
//   https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html
//   https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming
// Needs the built image (`pnpm image:build`); fails, never skips, without it.
import { httpApiV2Event, scheduledEvent } from "../../image/events.mjs";
import type { InvokeResult, RuntimeApi } from "../../image/runtime-api.mjs";
import { stopImage, type SandboxChild } from "../../image/sandbox.mjs";
import { startLambdaImage } from "./helpers.js";

const TOKEN = "image-streaming-token-0123456789abcdef";
const SEPARATOR = "\u0000".repeat(8);
let api: RuntimeApi;
let child: SandboxChild | undefined;

/** A Function URL event (payload format 2.0, the HTTP API's) for POST /mcp. */
function functionUrlMcp(
  body: unknown,
  {
    accept = "application/json, text/event-stream",
    token = TOKEN,
  }: { accept?: string; token?: string | null } = {},
): Record<string, unknown> {
  const event = httpApiV2Event({
    method: "POST",
    path: "/mcp",
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      accept,
      "mcp-protocol-version": "2025-06-18",
      host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
    },
    body,
  });
  const domain = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws";
  return {
    ...event,
    requestContext: {
      ...(event.requestContext as Record<string, unknown>),
      apiId: "abcdefghijklmnopqrstuvwxyz012345",
      domainName: domain,
      domainPrefix: "abcdefghijklmnopqrstuvwxyz012345",
    },
  };
}

/** Splits a streamed HTTP response into its prelude and its body. */
function splitStreamed(r: InvokeResult): {
  prelude: { statusCode: number; headers: Record<string, string> };
  body: string;
} {
  const at = r.raw.indexOf(SEPARATOR);
  if (at < 0)
    throw new Error(`no prelude separator in the streamed response: ${JSON.stringify(r.raw.slice(0, 300))}`);
  return {
    prelude: JSON.parse(r.raw.slice(0, at)) as { statusCode: number; headers: Record<string, string> },
    body: r.raw.slice(at + SEPARATOR.length),
  };
}

/** The JSON-RPC messages of an SSE body, in order. */
function sseMessages(
  body: string,
): { method?: string; params?: Record<string, unknown>; result?: unknown; id?: unknown }[] {
  return body
    .split(/\n\n/)
    .flatMap((event) => event.split("\n").filter((l) => l.startsWith("data:")))
    .map((l) => l.slice(5).trim())
    .filter((d) => d !== "")
    .map((d) => JSON.parse(d) as { method?: string; params?: Record<string, unknown> });
}

/** When the byte at `offset` of the body arrived, in ms after the event was handed out. */
function arrivalOf(r: InvokeResult, offset: number): number {
  let end = 0;
  for (const a of r.arrivals ?? []) {
    end += a.bytes;
    if (end > offset) return a.atMs;
  }
  throw new Error(`offset ${offset} is past the ${end} bytes that arrived`);
}

async function invokeStreamed(event: unknown): Promise<InvokeResult> {
  const r = await api.invoke(event, { timeoutMs: 120_000 });
  if (!r.ok)
    throw new Error(`invocation failed: ${r.errorType ?? ""} ${r.raw}\n${child?.output.slice(-4000)}`);
  expect(r.responseMode).toBe("streaming");
  return r;
}

beforeAll(async () => {
  ({ api, child } = await startLambdaImage({
    MCP_AUTH_TOKEN: TOKEN,
    MCP_LAMBDA_STREAMING: "1",
    MCP_PROGRESS_INTERVAL_SECONDS: "1",
  }));
}, 180_000);

afterAll(async () => {
  if (child) await stopImage(child);
  await api?.close();
});

describe("image, Lambda response streaming (MCP_LAMBDA_STREAMING=1 under aws-lambda-ric 4)", () => {
  test("a call with a progressToken streams SSE: progress with the latest output while the cell runs, then the result", async () => {
    const code = [
      "import time",
      "for i in range(4):",
      "    print(f'step {i}', flush=True)",
      "    time.sleep(1)",
      "print('finished')",
    ].join("\n");
    const r = await invokeStreamed(
      functionUrlMcp({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "execute_code", arguments: { code }, _meta: { progressToken: "p-1" } },
      }),
    );
    const { prelude, body } = splitStreamed(r);
    expect(prelude.statusCode).toBe(200);
    expect(prelude.headers["content-type"]).toMatch(/^text\/event-stream/);

    const messages = sseMessages(body);
    const progress = messages.filter((m) => m.method === "notifications/progress");
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const p of progress) expect(p.params?.progressToken).toBe("p-1");
    expect(progress.some((p) => /step \d/.test(String(p.params?.message)))).toBe(true);
    const last = messages[messages.length - 1] as {
      id?: unknown;
      result?: { content?: { text?: string }[] };
    };
    expect(last.id).toBe(7);
    expect(JSON.stringify(last.result?.content)).toContain("finished");

    // Streamed as it happened: the first progress reached the Runtime API well before the result
    // (the cell runs about 4 s); a buffered answer would bring both in the same moment.
    const separatorEnd = r.raw.indexOf(SEPARATOR) + SEPARATOR.length;
    const firstProgressAt = arrivalOf(r, separatorEnd + body.indexOf("notifications/progress"));
    const resultAt = arrivalOf(r, separatorEnd + body.lastIndexOf('"result"'));
    expect(resultAt - firstProgressAt).toBeGreaterThan(1500);
  }, 120_000);

  test("a call without a progressToken is answered as JSON inside the stream, and variables persist", async () => {
    const set = await invokeStreamed(
      functionUrlMcp(
        {
          jsonrpc: "2.0",
          id: 8,
          method: "tools/call",
          params: { name: "execute_code", arguments: { code: "streamed_value = 6 * 7" } },
        },
        { accept: "application/json" },
      ),
    );
    expect(splitStreamed(set).prelude.statusCode).toBe(200);
    const r = await invokeStreamed(
      functionUrlMcp({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "execute_code", arguments: { code: "print(streamed_value)" } },
      }),
    );
    const { prelude, body } = splitStreamed(r);
    expect(prelude.statusCode).toBe(200);
    expect(prelude.headers["content-type"]).toMatch(/^application\/json/);
    const msg = JSON.parse(body) as { id: number; result: { content: { text?: string }[] } };
    expect(msg.id).toBe(9);
    expect(msg.result.content.map((c) => c.text ?? "").join("")).toContain("42");
  }, 120_000);

  test("an unauthenticated call gets its 401 through the stream's prelude", async () => {
    const event = functionUrlMcp(
      { jsonrpc: "2.0", id: 10, method: "tools/list", params: {} },
      { token: null },
    );
    const { prelude } = splitStreamed(await invokeStreamed(event));
    expect(prelude.statusCode).toBe(401);
  }, 60_000);

  test("a keep-warm ping in streaming mode is answered, and the runtime posted no init error", async () => {
    const r = await invokeStreamed(scheduledEvent());
    expect(r.raw).toContain('"warmed":true');
    expect(api.initError).toBeUndefined();
    expect(child?.exitCode).toBeNull();
  }, 60_000);
});
