import { createMcpHandler, McpServer, isLegacyRequest, WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/server";
import * as z from "zod/v4";
const factory = () => {
  const s = new McpServer({ name: "t", version: "1" }, { capabilities: { tools: {} } });
  s.registerTool("x", { description: "x", inputSchema: { a: z.string() }, execution: { taskSupport: "optional" } }, async (args, ctx) => {
    console.log("ctx keys", Object.keys(ctx), Object.keys(ctx.mcpReq), JSON.stringify(ctx.mcpReq._meta), ctx.mcpReq.envelope && JSON.stringify(ctx.mcpReq.envelope), ctx.http && Object.keys(ctx.http));
    return { content: [{ type: "text", text: "hi " + args.a }] };
  });
  return s;
};
const h = createMcpHandler(factory, { legacy: "reject" });
const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" }, "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } }, progressToken: 7 };
async function modern(method, params, name) {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": method };
  if (name) headers["mcp-name"] = name;
  const body = { jsonrpc: "2.0", id: 5, method, params: { ...params, _meta: meta } };
  const req = new Request("http://localhost/mcp", { method: "POST", headers, body: JSON.stringify(body) });
  console.log("legacy?", await isLegacyRequest(req, { parsedBody: body }));
  const r = await h.fetch(req, { parsedBody: body, authInfo: { token: "", clientId: "me", scopes: [], extra: { foo: 1 } } });
  console.log(method, r.status, await r.text());
}
await modern("tools/call", { name: "x", arguments: { a: "b" } }, "x");
await modern("tools/call", { name: "x", arguments: { a: 3 } }, "x");
await modern("tools/call", { name: "nope", arguments: {} }, "nope");
await modern("tools/call", { name: "x", arguments: { a: "b" } }, "wrong");
await modern("ping", {});
// legacy
async function legacy(body) {
  const req = new Request("http://localhost/mcp", { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify(body) });
  console.log("legacy?", await isLegacyRequest(req, { parsedBody: body }));
  const t = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  const s = factory(); await s.connect(t);
  const r = await t.handleRequest(req, { parsedBody: body });
  console.log("legacy", r.status, await r.text());
  await s.close();
}
await legacy({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } } });
await legacy({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "x", arguments: { a: 3 } } });
await legacy({ jsonrpc: "2.0", id: 3, method: "tools/list" });
