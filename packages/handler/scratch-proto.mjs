import { SUPPORTED_PROTOCOL_VERSIONS, McpServer, ResourceTemplate, ProtocolError, ProtocolErrorCode, ResourceNotFoundError, InMemoryTransport } from "@modelcontextprotocol/server";
import { Client } from "@modelcontextprotocol/client";
const server = new McpServer({ name: "t", version: "1" }, { capabilities: { tools: {} }, supportedProtocolVersions: [...SUPPORTED_PROTOCOL_VERSIONS, "2026-07-28"] });
server.registerResource("static", "docs://readme", { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, text: "hi" }] }));
server.registerResource("workspace-file", new ResourceTemplate("workspace://{+path}", { list: undefined, complete: { path: (v) => ["a.txt", "b/c.txt"].filter(p => p.startsWith(v)) } }), { description: "x" }, async (uri, vars) => {
  if (vars.path === "missing") throw new ResourceNotFoundError(uri.href, "nope " + uri.href);
  if (vars.path === "bad") throw new ProtocolError(ProtocolErrorCode.InvalidParams, "bad path", { uri: uri.href, reason: "refused" });
  return { contents: [{ uri: uri.href, text: JSON.stringify(vars) }] };
});
const builtIn = server.server._getRequestHandler("resources/list");
console.log("builtin", typeof builtIn);
server.server.setRequestHandler("resources/list", async (request, ctx) => {
  const base = await builtIn(request, ctx);
  0 && console.log("req params", JSON.stringify(request.params), "ctx keys", Object.keys(ctx.mcpReq));
  if (request.params?.cursor === "bad") throw new ProtocolError(ProtocolErrorCode.InvalidParams, "Invalid cursor", { reason: "invalid_cursor" });
  if (!request.params?.cursor) return { resources: [...base.resources, { uri: "workspace://a.txt", name: "a.txt" }], nextCursor: "p2", _meta: { "jupyter-mcp/x": 1 } };
  return { resources: [{ uri: "workspace://b/c.txt", name: "b/c.txt", size: 3 }] };
});
for (const mode of [undefined, { mode: { pin: "2026-07-28" } }]) {
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  const client = new Client({ name: "c", version: "1" }, mode ? { versionNegotiation: mode } : {});
  await client.connect(ct);
  console.log("era", client.getProtocolEra?.(), client.getNegotiatedProtocolVersion?.());
  console.log(JSON.stringify(await client.request({ method: "resources/list", params: {} })));
  console.log(JSON.stringify(await client.listResources({ cursor: "p2" })));
  console.log(JSON.stringify(await client.listResources()));
  console.log(JSON.stringify(await client.listResourceTemplates()));
  console.log(JSON.stringify(await client.readResource({ uri: "workspace://a/b%20c" })));
  for (const uri of ["workspace://missing", "workspace://bad", "other://x", "workspace://"]) {
    try { await client.readResource({ uri }); } catch (e) { console.log(uri, e.constructor.name, e.code, e.message, JSON.stringify(e.data)); }
  }
  try { await client.listResources({ cursor: "bad" }); } catch (e) { console.log("cursor", e.constructor.name, e.code, e.message, JSON.stringify(e.data)); }
  console.log(JSON.stringify(await client.complete({ ref: { type: "ref/resource", uri: "workspace://{+path}" }, argument: { name: "path", value: "b" } })));
  await client.close();
  await server.close();
}
