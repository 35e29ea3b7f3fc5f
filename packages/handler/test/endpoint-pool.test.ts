import { loadConfig } from "../src/config.js";
import type { KernelSession } from "../src/kernel/session.js";
import { McpEndpoint } from "../src/mcp/endpoint.js";
import type { Workspace } from "../src/workspace/workspace.js";

// Servers are kept between requests (a new one costs ~10% of a warm call): sequential requests of
// either era reuse one per shape; concurrent ones each get their own; each request sees its caller.
const config = loadConfig({});
const endpoint = () =>
  new McpEndpoint({
    limits: config.limits,
    defaultTimeoutSeconds: 30,
    maxTimeoutSeconds: 900,
  });

function status(caller: string): KernelSession {
  return { status: () => ({ caller, state: "idle" }) } as unknown as KernelSession;
}

const perRequest = (caller: string) => ({
  caller,
  session: status(caller),
  workspace: undefined as unknown as Workspace,
  canStream: false,
});

const legacyCall = (id: number) =>
  ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "get_kernel_status", arguments: {} },
  }) as const;

const modernCall = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: {
    name: "get_kernel_status",
    arguments: {},
    _meta: {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {},
    },
  },
});

function request(body: unknown, modern: boolean): Request {
  return new Request("http://localhost/mcp", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(modern
        ? {
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": "tools/call",
            "mcp-name": "get_kernel_status",
          }
        : {}),
    },
    body: JSON.stringify(body),
  });
}

test("sequential requests of each era reuse one server, and each answers for its own caller", async () => {
  const mcp = endpoint();
  for (let i = 0; i < 6; i++) {
    for (const modern of [false, true]) {
      const caller = `caller-${i}`;
      const body = modern ? modernCall(i) : legacyCall(i);
      const res = await mcp.handle(request(body, modern), body, perRequest(caller));
      const text = JSON.stringify(await res.json());
      expect(text).toContain(caller);
    }
  }
  expect(mcp.serversBuilt).toBe(2);
  await mcp.close();
});

test("concurrent requests never share a server", async () => {
  const mcp = endpoint();
  const answers = await Promise.all(
    Array.from({ length: 4 }, async (_, i) => {
      const body = legacyCall(i);
      const res = await mcp.handle(request(body, false), body, perRequest(`c${i}`));
      return JSON.stringify(await res.json());
    }),
  );
  answers.forEach((text, i) => expect(text).toContain(`c${i}`));
  expect(mcp.serversBuilt).toBe(4);
  await mcp.close();
});
