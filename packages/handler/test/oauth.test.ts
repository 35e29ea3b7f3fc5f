import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportSPKI, SignJWT } from "jose";
import type { OAuthConfig } from "../src/auth/oauth-config.js";
import {
  AuthUnavailableError,
  bearerToken,
  InsufficientScopeError,
  InvalidTokenError,
  JwtVerifier,
  looksLikeJwt,
} from "../src/auth/jwt.js";
import { callerIdentity } from "../src/workspace/identity.js";
import { startOidcProvider, type OidcProvider } from "./support/oidc-provider.js";

let idp: OidcProvider;
beforeAll(async () => {
  idp = await startOidcProvider();
});
afterAll(() => idp.close());
beforeEach(() => {
  idp.discovery = "ok";
  idp.jwks = "ok";
});

const config = (extra: Partial<OAuthConfig> = {}): OAuthConfig => ({
  issuer: idp.issuer,
  scopes: [],
  validation: "server",
  ...extra,
});

const now = () => Math.floor(Date.now() / 1000);

/** Verifies and returns the error, checking it never echoes the token. */
async function refused(verifier: JwtVerifier, token: string): Promise<Error> {
  const err = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(Error);
  for (const part of token.split(".").filter((p) => p.length > 8)) expect(err?.message).not.toContain(part);
  return err as Error;
}

describe("JwtVerifier", () => {
  test("a valid token names the caller exactly as the API Gateway front door does", async () => {
    const verifier = new JwtVerifier(config({ audience: "mcp-api" }));
    const token = await idp.sign({ sub: "user-1", aud: "mcp-api", scope: "openid mcp:tools" });
    const verified = await verifier.verify(token);
    expect(verified).toEqual({ identity: `jwt:${idp.issuer}|user-1`, scopes: ["openid", "mcp:tools"] });
    const event = { requestContext: { authorizer: { jwt: { claims: { iss: idp.issuer, sub: "user-1" } } } } };
    expect(verified.identity).toBe(callerIdentity(event));
    // ES256 keys from the same JWKS work too.
    const ec = await idp.sign({ sub: "user-2", aud: ["other", "mcp-api"] }, idp.ec);
    expect((await verifier.verify(ec)).identity).toBe(`jwt:${idp.issuer}|user-2`);
  });

  test("discovery is lazy and cached; keys are fetched once for many tokens", async () => {
    const before = { ...idp.requests };
    const verifier = new JwtVerifier(config());
    expect(idp.requests).toEqual(before);
    for (const sub of ["a", "b", "c"]) await verifier.verify(await idp.sign({ sub }));
    expect(idp.requests.discovery - before.discovery).toBe(1);
    expect(idp.requests.jwks - before.jwks).toBe(1);
  });

  test("wrong issuer, wrong audience, no sub or exp: invalid_token", async () => {
    const verifier = new JwtVerifier(config({ audience: "mcp-api" }));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sub: "u", aud: "mcp-api", iss: `${idp.origin}/realms/other` }, /from another issuer/],
      [{ sub: "u", aud: "someone-else" }, /for another audience/],
      [{ sub: "u" }, /for another audience/],
      [{ sub: "u", client_id: "someone-else" }, /for another audience/],
      [{ aud: "mcp-api" }, /has no "sub"/],
      [{ sub: "", aud: "mcp-api" }, /has no "sub"/],
    ];
    for (const [claims, message] of cases) {
      const err = await refused(verifier, await idp.sign(claims));
      expect([claims, err]).toEqual([claims, expect.any(InvalidTokenError)]);
      expect([claims, err.message]).toEqual([claims, expect.stringMatching(message)]);
    }
    const noExp = await new SignJWT({ iss: idp.issuer, sub: "u", aud: "mcp-api" })
      .setProtectedHeader({ alg: "RS256", kid: idp.rsa.kid })
      .sign(idp.rsa.privateKey);
    expect((await refused(verifier, noExp)).message).toMatch(/has no "exp"/);
    // Cognito access tokens carry client_id instead of aud; API Gateway matches those on client_id.
    const cognito = await idp.sign({ sub: "u", client_id: "mcp-api", token_use: "access" });
    expect((await verifier.verify(cognito)).identity).toBe(`jwt:${idp.issuer}|u`);
  });

  test("exp and nbf hold, with a small clock tolerance", async () => {
    const verifier = new JwtVerifier(config());
    const expired = await refused(verifier, await idp.sign({ sub: "u", exp: now() - 120 }));
    expect(expired).toBeInstanceOf(InvalidTokenError);
    expect(expired.message).toBe("The access token has expired.");
    const early = await refused(verifier, await idp.sign({ sub: "u", nbf: now() + 300 }));
    expect(early.message).toBe("The access token is not valid yet.");
    // A few seconds of skew between us and the IdP is not an error.
    await expect(verifier.verify(await idp.sign({ sub: "u", exp: now() - 5 }))).resolves.toMatchObject({
      identity: `jwt:${idp.issuer}|u`,
    });
  });

  test("alg none and HS256 made with the public key are refused before any key is used", async () => {
    const verifier = new JwtVerifier(config());
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const claims = { iss: idp.issuer, sub: "admin", exp: now() + 300 };
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
    const none = await refused(verifier, unsigned);
    expect(none).toBeInstanceOf(InvalidTokenError);
    expect(none.message).toMatch(/algorithm this server does not accept/);

    const publicPem = await exportSPKI(idp.rsa.publicKey);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: idp.rsa.kid })
      .sign(new TextEncoder().encode(publicPem));
    const hs = await refused(verifier, forged);
    expect(hs).toBeInstanceOf(InvalidTokenError);
    expect(hs.message).toMatch(/algorithm this server does not accept/);
  });

  test("unknown kid and a tampered signature are refused; unknown kids refetch keys at most per cooldown", async () => {
    const verifier = new JwtVerifier(config());
    await verifier.verify(await idp.sign({ sub: "warm" }));
    const jwksBefore = idp.requests.jwks;
    for (let i = 0; i < 5; i++) {
      const err = await refused(verifier, await idp.sign({ sub: `u${i}` }, idp.stranger));
      expect(err).toBeInstanceOf(InvalidTokenError);
      expect(err.message).toBe("The access token is signed with a key the issuer does not publish.");
    }
    expect(idp.requests.jwks - jwksBefore).toBe(0);

    const [header, , signature] = (await idp.sign({ sub: "user-1" })).split(".");
    const payload = Buffer.from(JSON.stringify({ iss: idp.issuer, sub: "admin", exp: now() + 300 })).toString(
      "base64url",
    );
    const tampered = await refused(verifier, `${header}.${payload}.${signature}`);
    expect(tampered).toBeInstanceOf(InvalidTokenError);
    expect(tampered.message).toBe("The access token's signature does not verify.");
  });

  test("required scopes: any one of them, from scope or scp", async () => {
    const verifier = new JwtVerifier(config({ scopes: ["mcp:tools", "mcp:admin"] }));
    const missing = await refused(verifier, await idp.sign({ sub: "u", scope: "openid profile" }));
    expect(missing).toBeInstanceOf(InsufficientScopeError);
    expect((missing as InsufficientScopeError).requiredScopes).toEqual(["mcp:tools", "mcp:admin"]);
    expect((missing as InsufficientScopeError).challenge).toEqual({
      error: "insufficient_scope",
      description: expect.stringContaining("mcp:tools, mcp:admin"),
      scope: "mcp:tools mcp:admin",
    });
    expect(await refused(verifier, await idp.sign({ sub: "u" }))).toBeInstanceOf(InsufficientScopeError);
    await expect(
      verifier.verify(await idp.sign({ sub: "u", scope: "openid mcp:tools" })),
    ).resolves.toBeTruthy();
    const okta = await verifier.verify(await idp.sign({ sub: "u", scp: ["mcp:admin"] }));
    expect(okta.scopes).toEqual(["mcp:admin"]);
  });

  test("garbage is refused without a network round trip", async () => {
    const verifier = new JwtVerifier(config({ jwksUrl: "http://127.0.0.1:1/never" }));
    for (const token of ["static-token-123", "a.b", `${"a".repeat(20_000)}.b.c`, "a.b.c"]) {
      const err = await refused(verifier, token);
      expect([token.slice(0, 20), err]).toEqual([token.slice(0, 20), expect.any(InvalidTokenError)]);
    }
    expect(bearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(looksLikeJwt("abc.def.ghi")).toBe(true);
    expect(looksLikeJwt("my-static-token")).toBe(false);
  });
});

describe("an issuer that is down or wrong fails bounded, with a clear message", () => {
  test("JWKS refused: AuthUnavailableError naming the URL", async () => {
    const closed = await unusedPort();
    const jwksUrl = `http://127.0.0.1:${closed}/jwks`;
    const verifier = new JwtVerifier(config({ jwksUrl }));
    const err = await refused(verifier, await idp.sign({ sub: "u" }));
    expect(err).toBeInstanceOf(AuthUnavailableError);
    expect(err.message).toMatch(
      new RegExp(`Cannot fetch the issuer's signing keys from ${jwksUrl}.*ECONNREFUSED`),
    );
  });

  test("JWKS that never answers: gives up after the timeout", async () => {
    idp.jwks = "hang";
    const verifier = new JwtVerifier(config({ jwksUrl: idp.jwksUrl }), { timeoutMs: 300 });
    const started = Date.now();
    const err = await refused(verifier, await idp.sign({ sub: "u" }));
    expect(err).toBeInstanceOf(AuthUnavailableError);
    expect(err.message).toMatch(/no answer in time/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test("JWKS answering 503 or HTML: unavailable, and a later request recovers", async () => {
    const verifier = new JwtVerifier(config({ jwksUrl: idp.jwksUrl }), { cooldownMs: 0 });
    idp.jwks = "error";
    expect(await refused(verifier, await idp.sign({ sub: "u" }))).toBeInstanceOf(AuthUnavailableError);
    idp.jwks = "not-json";
    const html = await refused(verifier, await idp.sign({ sub: "u" }));
    expect(html.message).toMatch(/signing keys.*JSON/);
    idp.jwks = "ok";
    await expect(verifier.verify(await idp.sign({ sub: "u" }))).resolves.toMatchObject({ scopes: [] });
  });

  test("discovery without jwks_uri, or naming another issuer, says what to set", async () => {
    idp.discovery = "no-jwks-uri";
    const noJwks = await refused(new JwtVerifier(config()), await idp.sign({ sub: "u" }));
    expect(noJwks).toBeInstanceOf(AuthUnavailableError);
    expect(noJwks.message).toMatch(/openid-configuration: it has no jwks_uri; set MCP_OIDC_JWKS_URL/);
    // With the JWKS URL given, discovery is not needed at all.
    const direct = new JwtVerifier(config({ jwksUrl: idp.jwksUrl }));
    await expect(direct.verify(await idp.sign({ sub: "u" }))).resolves.toBeTruthy();

    idp.discovery = "wrong-issuer";
    const wrong = await refused(new JwtVerifier(config()), await idp.sign({ sub: "u" }));
    expect(wrong.message).toMatch(/names the issuer ".*realms\/other", not MCP_OIDC_ISSUER/);
  });

  test("discovery that never answers: gives up after the timeout", async () => {
    idp.discovery = "hang";
    const started = Date.now();
    const err = await refused(new JwtVerifier(config(), { timeoutMs: 300 }), await idp.sign({ sub: "u" }));
    expect(err).toBeInstanceOf(AuthUnavailableError);
    expect(err.message).toMatch(/openid-configuration: no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test("a failed discovery is retried by the next request", async () => {
    idp.discovery = "error";
    const verifier = new JwtVerifier(config());
    const err = await refused(verifier, await idp.sign({ sub: "u" }));
    expect(err.message).toMatch(/openid-configuration: HTTP 500/);
    idp.discovery = "ok";
    await expect(verifier.verify(await idp.sign({ sub: "u" }))).resolves.toMatchObject({
      identity: `jwt:${idp.issuer}|u`,
    });
  });

  test("an issuer with a trailing slash (Auth0's shape) is discovered without a double slash", async () => {
    const auth0 = await startOidcProvider("/");
    try {
      expect(auth0.issuer.endsWith("/")).toBe(true);
      const verifier = new JwtVerifier({ issuer: auth0.issuer, scopes: [], validation: "server" });
      const verified = await verifier.verify(await auth0.sign({ sub: "auth0|42" }));
      expect(verified.identity).toBe(`jwt:${auth0.issuer}|auth0|42`);
      expect(auth0.requests.discovery).toBe(1);
    } finally {
      await auth0.close();
    }
  });
});

async function unusedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
