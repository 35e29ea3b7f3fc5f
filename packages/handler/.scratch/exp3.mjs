import { isLegacyRequest, classifyInboundRequest } from "@modelcontextprotocol/server";
for (const body of [{ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } } }, { jsonrpc: "2.0", id: 3, method: "tools/list" }]) {
  const mk = () => new Request("http://localhost/mcp", { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify(body) });
  console.log(await isLegacyRequest(mk()), await isLegacyRequest(mk(), { parsedBody: body }), await isLegacyRequest(mk(), body));
}
