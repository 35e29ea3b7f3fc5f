import { eventFor, lambdaContext, resultToResponse } from "@jupyter-mcp/event-adapter/testing";
import type { LambdaHttpResult } from "@jupyter-mcp/event-adapter";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { callerSegment } from "../src/workspace/s3-sync.js";
import { tempStateRoot } from "./support/harness.js";
import { startS3, type TestS3 } from "./support/s3.js";

// The built Lambda entry with a workspace bucket: the caller's identity comes from the JWT
// authorizer's claims in the event, and selects the S3 prefix; a header cannot choose it.
const here = path.dirname(fileURLToPath(import.meta.url));
const ENV_KEYS = [
  "JUPYTER_STATE_ROOT",
  "MCP_AUTH_TOKEN",
  "MCP_ALLOW_INSECURE",
  "MCP_WORKSPACE_BUCKET",
  "MCP_S3_ENDPOINT",
  "LOG_LEVEL",
  "AWS_LAMBDA_FUNCTION_NAME",
] as const;
const saved: Record<string, string | undefined> = {};
let s3: TestS3;
let handler: (event: unknown, context: unknown) => Promise<unknown>;
let shutdown: () => Promise<void>;

beforeAll(async () => {
  s3 = await startS3();
  for (const key of ENV_KEYS) saved[key] = process.env[key];
  delete process.env.MCP_AUTH_TOKEN;
  Object.assign(process.env, {
    JUPYTER_STATE_ROOT: tempStateRoot("lambda-ws"),
    MCP_ALLOW_INSECURE: "1",
    LOG_LEVEL: "error",
    AWS_LAMBDA_FUNCTION_NAME: "jupyter-mcp",
    ...s3.env,
  });
  ({ handler, shutdown } = (await import(path.resolve(here, "../dist/lambda.js"))) as {
    handler: typeof handler;
    shutdown: typeof shutdown;
  });
});

afterAll(async () => {
  await shutdown?.();
  await s3?.close();
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

let id = 1;
async function callTool(
  name: string,
  args: Record<string, unknown>,
  options: { sub?: string; headers?: Record<string, string> } = {},
): Promise<CallToolResult> {
  const event = eventFor("http-api-v2", {
    method: "POST",
    path: "/mcp",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: id++,
      method: "tools/call",
      params: { name, arguments: args },
    }),
  }) as unknown as { requestContext: Record<string, unknown> };
  if (options.sub) {
    event.requestContext.authorizer = {
      jwt: { claims: { sub: options.sub, iss: "https://issuer.example" }, scopes: null },
    };
  }
  const deadline = Date.now() + 120_000;
  const result = await handler(
    event,
    lambdaContext({ getRemainingTimeInMillis: () => deadline - Date.now() }),
  );
  const response = resultToResponse(result as LambdaHttpResult);
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: CallToolResult }).result;
}

const names = async (options: { sub?: string; headers?: Record<string, string> }) =>
  (
    (await callTool("list_files", {}, options)).structuredContent as { entries: { name: string }[] }
  ).entries.map((e) => e.name);

test("the JWT subject selects the workspace prefix; a header cannot", async () => {
  s3.puts.length = 0;
  await callTool("execute_code", { code: "open('mine.txt', 'w').write('alice')" }, { sub: "alice" });
  expect(s3.puts).toEqual([`workspaces/files/${callerSegment("jwt:https://issuer.example|alice")}/mine.txt`]);
  expect(await names({ sub: "alice" })).toEqual(["mine.txt"]);
  expect(await names({ sub: "bob" })).toEqual([]);
  expect(await names({ headers: { "x-mcp-caller": "alice", "x-forwarded-user": "alice" } })).toEqual([]);
  expect(await names({ sub: "alice" })).toEqual(["mine.txt"]);
});
