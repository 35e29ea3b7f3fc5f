import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RunningServer } from "../src/http/node-server.js";
import { callerKey } from "../src/callers.js";
import { callerIdentity } from "../src/workspace/identity.js";
import { startTestServer } from "./support/harness.js";
import { startOidcProvider, type OidcProvider } from "./support/oidc-provider.js";

// The real server with an OIDC issuer and in-server JWT validation (what a Function URL, ALB,
// Fargate or a local server uses): RFC 9728 metadata without auth, 401 with resource_metadata, and
// a JWT naming the caller exactly as an API Gateway JWT authorizer would.
let idp: OidcProvider;
let server: RunningServer;

beforeAll(async () => {
  idp = await startOidcProvider();
  server = await startTestServer({
    MCP_OIDC_ISSUER: idp.issuer,
    MCP_OIDC_AUDIENCE: "jupyter-mcp",
    MCP_JWT_VALIDATION: "server",
    MCP_AUTH_TOKENS: "ci=ci-token-0123456789",
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await idp?.close();
});

const token = (sub: string, extra: Record<string, unknown> = {}) =>
  idp.sign({ iss: idp.issuer, sub, aud: "jupyter-mcp", exp: Math.floor(Date.now() / 1000) + 300, ...extra });

test("the protected-resource metadata is public, in both forms, and names the issuer", async () => {
  for (const suffix of ["", "/mcp"]) {
    const res = await fetch(`${server.url}/.well-known/oauth-protected-resource${suffix}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { resource: string; authorization_servers: string[] };
    expect(body.authorization_servers).toEqual([idp.issuer]);
    expect(body.resource).toBe(`${server.url}${suffix}`);
  }
});

test("no token or a bad one: 401 with WWW-Authenticate resource_metadata; the MCP endpoint stays closed", async () => {
  const plain = await fetch(`${server.url}/mcp`, { method: "POST", body: "{}" });
  expect(plain.status).toBe(401);
  expect(plain.headers.get("www-authenticate")).toBe(
    `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`,
  );
  const forged = await fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${await token("eve", { exp: 1 })}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  expect(forged.status).toBe(401);
  expect(forged.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
});

test("a valid JWT is a caller of its own, keyed as behind a JWT authorizer; named tokens still work", async () => {
  const connect = async (bearer: string) => {
    const client = new Client({ name: "jwt", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
      }),
    );
    return client;
  };
  const alice = await connect(await token("alice"));
  const ci = await connect("ci-token-0123456789");
  try {
    const cwd = (client: Client) =>
      client.callTool({ name: "execute_code", arguments: { code: "import os; print(os.getcwd())" } });
    const aliceCwd = JSON.stringify((await cwd(alice)).content);
    // The same key a JWT authorizer's event gives (requestContext.authorizer.jwt.claims).
    const behindGateway = callerKey(
      callerIdentity({
        requestContext: { authorizer: { jwt: { claims: { iss: idp.issuer, sub: "alice" } } } },
      }),
    );
    expect(aliceCwd).toContain(`/callers/${behindGateway}/work`);
    expect(JSON.stringify((await cwd(ci)).content)).toContain("/callers/ci/work");
  } finally {
    await alice.close();
    await ci.close();
  }
}, 60_000);
