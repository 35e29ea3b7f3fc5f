import { getRequestListener } from "@hono/node-server";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  discoverOAuthProtectedResourceMetadata,
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
} from "@modelcontextprotocol/client";
import type { OAuthConfig } from "../src/auth/oauth-config.js";
import {
  AuthUnavailableError,
  bearerToken,
  InsufficientScopeError,
  InvalidTokenError,
  JwtVerifier,
} from "../src/auth/jwt.js";
import {
  challengeResponse,
  isProtectedResourcePath,
  protectedResourceResponse,
} from "../src/auth/protected-resource.js";
import { startOidcProvider, type OidcProvider } from "./support/oidc-provider.js";

/**
 * The official MCP client's OAuth discovery, over real HTTP, against a server wired the way the app
 * will be: metadata public, a 401 challenge without a token, JWTs checked in the process.
 */
let idp: OidcProvider;
let server: Server;
let origin: string;
let oauth: OAuthConfig;

beforeAll(async () => {
  idp = await startOidcProvider();
  oauth = { issuer: idp.issuer, scopes: ["mcp:tools"], validation: "server" };
  const verifier = new JwtVerifier(oauth);
  const handle = async (request: Request): Promise<Response> => {
    if (isProtectedResourcePath(new URL(request.url).pathname))
      return protectedResourceResponse(oauth, request);
    const token = bearerToken(request.headers.get("authorization"));
    if (token === undefined) return challengeResponse(oauth, request);
    try {
      return Response.json({ identity: (await verifier.verify(token)).identity });
    } catch (err) {
      if (err instanceof InvalidTokenError || err instanceof InsufficientScopeError) {
        return challengeResponse(oauth, request, err.challenge);
      }
      if (err instanceof AuthUnavailableError) return Response.json({ error: err.message }, { status: 503 });
      throw err;
    }
  };
  server = createServer(getRequestListener(handle));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await idp.close();
});

const post = (token?: string) =>
  fetch(`${origin}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });

test("401 → resource metadata → the issuer's OpenID configuration, as the MCP client walks it", async () => {
  const unauthorized = await post();
  expect(unauthorized.status).toBe(401);
  const challenge = extractWWWAuthenticateParams(unauthorized);
  expect(challenge.resourceMetadataUrl?.href).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`);
  expect(challenge.scope).toBe("mcp:tools");

  const info = await discoverOAuthServerInfo(`${origin}/mcp`, {
    ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
  });
  expect(info.authorizationServerUrl).toBe(idp.issuer);
  expect(info.authorizationServerMetadata?.issuer).toBe(idp.issuer);
  expect(info.resourceMetadata).toMatchObject({
    resource: `${origin}/mcp`,
    authorization_servers: [idp.issuer],
    scopes_supported: ["mcp:tools"],
    bearer_methods_supported: ["header"],
  });
});

test("clients that probe the well-known paths themselves find the same document", async () => {
  const viaMcp = await discoverOAuthProtectedResourceMetadata(`${origin}/mcp`);
  expect(viaMcp.resource).toBe(`${origin}/mcp`);
  const viaRoot = await discoverOAuthProtectedResourceMetadata(`${origin}/`);
  expect(viaRoot.resource).toBe(origin);
  expect(viaRoot.authorization_servers).toEqual([idp.issuer]);
});

test("the token the issuer signs gets in; one without the scope gets 403, an expired one 401", async () => {
  const ok = await post(await idp.sign({ sub: "alice", scope: "mcp:tools" }));
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ identity: `jwt:${idp.issuer}|alice` });

  const scopeless = await post(await idp.sign({ sub: "alice", scope: "openid" }));
  expect(scopeless.status).toBe(403);
  expect(extractWWWAuthenticateParams(scopeless)).toMatchObject({
    error: "insufficient_scope",
    scope: "mcp:tools",
  });

  const now = Math.floor(Date.now() / 1000);
  const expired = await post(await idp.sign({ sub: "alice", scope: "mcp:tools", exp: now - 600 }));
  expect(expired.status).toBe(401);
  expect(extractWWWAuthenticateParams(expired)).toMatchObject({
    error: "invalid_token",
    errorDescription: "The access token has expired.",
  });
});
