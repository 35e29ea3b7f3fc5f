import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { parseStoredTokens } from "../src/auth-token.js";
import { callerKey } from "../src/callers.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { bearerCaller } from "../src/http/auth.js";
import type { RunningServer } from "../src/http/node-server.js";
import { call, connectClient, startTestServer, structured, textOf } from "./support/harness.js";

describe("named tokens", () => {
  test("MCP_AUTH_TOKENS and MCP_AUTH_TOKEN give callers by name", () => {
    const config = loadConfig({ MCP_AUTH_TOKENS: "alice=tok-a, bob=tok-b", MCP_AUTH_TOKEN: "tok-d" });
    expect([...config.authTokens]).toEqual([
      ["alice", "tok-a"],
      ["bob", "tok-b"],
      ["default", "tok-d"],
    ]);
    expect(bearerCaller("Bearer tok-b", config.authTokens)).toBe("bob");
    expect(bearerCaller("Bearer tok-d", config.authTokens)).toBe("default");
    expect(bearerCaller("Bearer nope", config.authTokens)).toBeUndefined();
    expect(bearerCaller(null, config.authTokens)).toBeUndefined();
  });

  test("bad entries are refused, naming the entry but never the token", () => {
    const bad = [
      "Alice=t",
      "id-x=t",
      "a=",
      "=t",
      "justatoken",
      "a=t,a=u",
      "a=same,b=same",
      `${"a".repeat(65)}=t`,
    ];
    for (const value of bad) {
      expect(() => loadConfig({ MCP_AUTH_TOKENS: value })).toThrow(ConfigError);
      try {
        loadConfig({ MCP_AUTH_TOKENS: value });
      } catch (err) {
        // The tokens in these entries are t, u and same: none may appear as a token in the message.
        expect((err as Error).message).not.toMatch(/=t\b|\bu\b|"same"|same,/);
      }
    }
    expect(() => loadConfig({ MCP_AUTH_TOKENS: "default=x", MCP_AUTH_TOKEN: "y" })).toThrow(/already is/);
    expect(() => loadConfig({ MCP_AUTH_TOKENS: "a=x", MCP_AUTH_TOKEN: "x" })).toThrow(/its own token/);
  });

  test("a stored secret holds one token or a JSON object of named tokens", () => {
    expect([...parseStoredTokens(" plain-token\n", "secret s")]).toEqual([["default", "plain-token"]]);
    expect([...parseStoredTokens('{"alice":"a1","bob":"b1"}', "secret s")]).toEqual([
      ["alice", "a1"],
      ["bob", "b1"],
    ]);
    expect(() => parseStoredTokens("{not json", "secret s")).toThrow(/not valid JSON/);
    expect(() => parseStoredTokens('["a"]', "secret s")).toThrow(/JSON object/);
    expect(() => parseStoredTokens('{"Bad Name":"x"}', "secret s")).toThrow(/not valid/);
    expect(() => parseStoredTokens("", "secret s")).toThrow(/empty/);
  });

  test("caller keys: default, a token's name, or a hash that names nobody", () => {
    expect(callerKey(undefined)).toBe("default");
    expect(callerKey("token:alice")).toBe("alice");
    expect(callerKey("jwt:https://issuer|user-1")).toMatch(/^id-[0-9a-f]{32}$/);
    expect(callerKey("token:../../etc")).toMatch(/^id-[0-9a-f]{32}$/);
  });
});

// Two callers on named tokens, through the official MCP client over real HTTP.
describe("callers over MCP", () => {
  let server: RunningServer;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    server = await startTestServer({ MCP_AUTH_TOKENS: "alice=alice-token-1,bob=bob-token-2" });
    alice = await connectClient(server.url, "alice-token-1");
    bob = await connectClient(server.url, "bob-token-2");
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.close();
  });

  test("each caller has its own variables, files and kernel status", async () => {
    await call(alice, "execute_code", { code: "secret = 'alice-only'\nopen('mine.txt', 'w').write('a')" });
    const bobSees = await call(bob, "execute_code", { code: "print('secret' in globals())" });
    expect(textOf(bobSees)).toContain("False");
    const bobFiles = await call(bob, "list_files", {});
    expect(JSON.stringify(bobFiles.structuredContent)).not.toContain("mine.txt");
    const aliceFiles = await call(alice, "list_files", {});
    expect(JSON.stringify(aliceFiles.structuredContent)).toContain("mine.txt");
    const a = (await call(alice, "get_kernel_status")).structuredContent as {
      caller: string;
      kernelId: string;
    };
    const b = (await call(bob, "get_kernel_status")).structuredContent as {
      caller: string;
      kernelId: string;
    };
    expect([a.caller, b.caller]).toEqual(["alice", "bob"]);
    expect(a.kernelId).not.toBe(b.kernelId);
  });

  test("one caller's long cell does not hold up the other", async () => {
    const long = call(alice, "execute_code", { code: "import time\ntime.sleep(6)\n'done'" });
    const started = Date.now();
    const quick = await call(bob, "execute_code", { code: "21 * 2" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(textOf(quick)).toContain("42");
    const bobStatus = (await call(bob, "get_kernel_status")).structuredContent as { running: string | null };
    expect(bobStatus.running).toBeNull();
    expect(structured(await long).status).toBe("ok");
  });

  test("/health says only that the server is up; a wrong token gets 401", async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>;
    expect(Object.keys(health).sort()).toEqual(["name", "status", "version"]);
    const denied = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer carol-token" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(denied.status).toBe(401);
  });
});
