import type { RunningServer } from "../src/http/node-server.js";
import { connectClient, rpc, startTestServer, call, textOf } from "./support/harness.js";

const TOKEN = "test-token-0123456789";
const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "curl", version: "1.0.0" } },
};
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ MCP_AUTH_TOKEN: TOKEN, MCP_MAX_BODY_BYTES: "65536" });
});
afterAll(async () => server?.close());

describe("the Fetch handler over HTTP", () => {
  test("/health is open and says only that the server is up (no kernel ids, executions or queue)", async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ status: "ok", name: "jupyter-mcp", version: expect.any(String) });
  });

  test("no token or a wrong token gets 401 with WWW-Authenticate; the right one gets 200", async () => {
    const attempts: Record<string, string>[] = [
      { "content-type": "application/json" },
      { "content-type": "application/json", authorization: "Bearer wrong-token" },
      { "content-type": "application/json", authorization: `Basic ${TOKEN}` },
      { "content-type": "application/json", authorization: `Bearer ${TOKEN}x` },
    ];
    for (const headers of attempts) {
      const res = await rpc(server.url, initialize, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(await res.json()).toMatchObject({ error: "unauthorized" });
    }
    const ok = await rpc(server.url, initialize, auth);
    expect(ok.status).toBe(200);
  });

  test("the original's curl examples work: no Accept header, POST /mcp and POST /", async () => {
    for (const path of ["/mcp", "/"]) {
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify(initialize),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      const body = (await res.json()) as { result: { serverInfo: { name: string } } };
      expect(body.result.serverInfo.name).toBe("jupyter-mcp");
    }
    for (const accept of ["*/*", "application/json"]) {
      const res = await rpc(
        server.url,
        {
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "execute_code", arguments: { code: 'print("Hello from Lambda!")' } },
        },
        { ...auth, accept },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { result: { content: { text: string }[] } };
      expect(body.result.content[0]?.text).toContain("Hello from Lambda!");
    }
  });

  test("the MCP SDK client works with the token", async () => {
    const client = await connectClient(server.url, TOKEN);
    const result = await call(client, "execute_code", { code: "21 * 2" });
    expect(textOf(result)).toContain("42");
    await client.close();
  });

  test("malformed JSON is a JSON-RPC parse error", async () => {
    const res = await rpc(server.url, "{not json", auth);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 }, id: null });
  });

  test("an unknown path is 404 JSON, a wrong method 405 JSON with Allow", async () => {
    const missing = await fetch(`${server.url}/nope`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
    const get = await fetch(`${server.url}/mcp`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await get.json()).toMatchObject({ error: "method_not_allowed" });
    const del = await fetch(`${server.url}/mcp`, { method: "DELETE", headers: auth });
    expect(del.status).toBe(405);
    const postHealth = await fetch(`${server.url}/health`, { method: "POST" });
    expect(postHealth.status).toBe(405);
  });

  test("an oversized body is 413, declared or streamed", async () => {
    const big = JSON.stringify({ ...initialize, pad: "x".repeat(70_000) });
    const res = await rpc(server.url, big, auth);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "payload_too_large" });
    const chunked = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: auth,
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  test("a non-JSON content type is 415", async () => {
    const res = await rpc(server.url, JSON.stringify(initialize), { ...auth, "content-type": "text/plain" });
    expect(res.status).toBe(415);
  });

  test("a request whose Host or Origin is not loopback is refused (DNS rebinding)", async () => {
    const app = server.runtime.app;
    const evilHost = await app(
      new Request("http://127.0.0.1/mcp", {
        method: "POST",
        headers: { ...auth, host: "evil.example:8080" },
        body: JSON.stringify(initialize),
      }),
    );
    expect(evilHost.status).toBe(403);
    const evilOrigin = await app(
      new Request("http://127.0.0.1/mcp", {
        method: "POST",
        headers: { ...auth, host: "127.0.0.1:8080", origin: "http://evil.example" },
        body: JSON.stringify(initialize),
      }),
    );
    expect(evilOrigin.status).toBe(403);
    const local = await app(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: { ...auth, host: "localhost:8080", origin: "http://localhost:3000" },
        body: JSON.stringify(initialize),
      }),
    );
    expect(local.status).toBe(200);
  });

  test("after every bad request the server still serves", async () => {
    const res = await rpc(
      server.url,
      {
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "execute_code", arguments: { code: "'up'" } },
      },
      auth,
    );
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain("up");
  });
});
