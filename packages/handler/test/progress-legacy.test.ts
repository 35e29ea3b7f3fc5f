import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { RunningServer } from "../src/http/node-server.js";
import { connectClient, rpc, startTestServer, textOf } from "./support/harness.js";

// 2025-era clients (the v1 1.32 client, plain curl): progress over SSE only when asked for with a
// progressToken; otherwise JSON as before.
let server: RunningServer;
let client: Client;

beforeAll(async () => {
  server = await startTestServer({ MCP_PROGRESS_INTERVAL_SECONDS: "1" });
  client = await connectClient(server.url);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
});

const SLOW = "import time\nfor i in range(4):\n    print('line', i, flush=True)\n    time.sleep(0.8)";

test("the v1 client with onprogress gets notifications/progress with the latest lines, then the result", async () => {
  const seen: { progress: number; message?: string }[] = [];
  const result = (await client.callTool({ name: "execute_code", arguments: { code: SLOW } }, undefined, {
    timeout: 60_000,
    onprogress: (p) => seen.push(p),
  })) as CallToolResult;
  expect(textOf(result)).toContain("line 3");
  expect(seen.length).toBeGreaterThanOrEqual(1);
  expect(seen.some((p) => /line \d/.test(p.message ?? ""))).toBe(true);
}, 60_000);

test("a call without a progressToken is answered with JSON, as before", async () => {
  const res = await rpc(
    server.url,
    {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "execute_code", arguments: { code: SLOW } },
    },
    { "content-type": "application/json", accept: "application/json, text/event-stream" },
  );
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as { result: { content: { text: string }[] } };
  expect(body.result.content[0]!.text).toContain("line 3");
}, 60_000);

test("with a progressToken, the exchange is an SSE stream whose progress events precede the result", async () => {
  const res = await rpc(
    server.url,
    {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "execute_code", arguments: { code: SLOW }, _meta: { progressToken: "p1" } },
    },
    { "content-type": "application/json", accept: "application/json, text/event-stream" },
  );
  expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
  const events = (await res.text())
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .map(
      (l) => JSON.parse(l.slice(6)) as { method?: string; id?: number; params?: { progressToken?: string } },
    );
  const last = events[events.length - 1]!;
  expect(last.id).toBe(2);
  const progress = events.filter((e) => e.method === "notifications/progress");
  expect(progress.length).toBeGreaterThanOrEqual(1);
  expect(progress.every((e) => e.params?.progressToken === "p1")).toBe(true);
}, 60_000);
