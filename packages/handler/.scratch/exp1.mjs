import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import * as z from "zod/v4";
const h = createMcpHandler(({era}) => {
  const s = new McpServer({ name: "t", version: "1" }, { capabilities: { tools: {}, extensions: { "io.modelcontextprotocol/tasks": {} } } });
  s.registerTool("x", { description: "x", inputSchema: z.object({ a: z.string().optional() }) }, async (args, ctx) => {
    return { resultType: "task", taskId: "abc", status: "working", createdAt: new Date().toISOString(), lastUpdatedAt: new Date().toISOString(), ttlMs: 1000 };
  });
  s.server.setRequestHandler("tasks/get", { params: z.object({ taskId: z.string() }).passthrough(), result: z.object({}).passthrough() }, async (params, ctx) => ({ taskId: params.taskId, status: "working", resultType: "complete" }));
  return s;
}, { legacy: "reject" });
const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" }, "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } } };
async function call(method, params, name) {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": method };
  if (name) headers["mcp-name"] = name;
  const r = await h.fetch(new Request("http://localhost/mcp", { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: meta } }) }));
  console.log(method, r.status, r.headers.get("content-type"), await r.text());
}
await call("server/discover", {});
await call("tools/list", {});
await call("tools/call", { name: "x", arguments: {} }, "x");
await call("tasks/get", { taskId: "abc" }, "abc");
