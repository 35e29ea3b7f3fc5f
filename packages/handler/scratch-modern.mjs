import { McpServer, ResourceTemplate, createMcpHandler } from "@modelcontextprotocol/server";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
const make = () => {
  const server = new McpServer({ name: "t", version: "1" }, { capabilities: { tools: {} } });
  server.registerResource("workspace-file", new ResourceTemplate("workspace://{+path}", { list: undefined }), {}, async (uri, vars) => ({ contents: [{ uri: uri.href, text: JSON.stringify(vars) }] }));
  server.server.setRequestHandler("resources/list", async (request) => request.params?.cursor ? { resources: [{ uri: "workspace://b", name: "b" }] } : { resources: [{ uri: "workspace://a", name: "a" }], nextCursor: "c1" });
  return server;
};
const handler = createMcpHandler(() => make(), { legacy: "reject", responseMode: "auto" });
const client = new Client({ name: "c", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
await client.connect(new StreamableHTTPClientTransport(new URL("http://local/mcp"), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
console.log(client.getNegotiatedProtocolVersion?.());
console.log(JSON.stringify(await client.listResources()));
console.log(JSON.stringify(await client.request({ method: "resources/list", params: {} })));
console.log(JSON.stringify(await client.readResource({ uri: "workspace://x/y" })));
await client.close(); await handler.close();
