import { checkResourceAllowed, extractWWWAuthenticateParams } from "@modelcontextprotocol/client";
import { ConfigError } from "../src/config.js";
import { OAUTH_SETTINGS, readOAuthConfig, type OAuthConfig } from "../src/auth/oauth-config.js";
import {
  challengeResponse,
  isProtectedResourcePath,
  metadataUrl,
  protectedResourceMetadata,
  protectedResourceResponse,
  resourceUrl,
  wwwAuthenticate,
} from "../src/auth/protected-resource.js";

const ISSUER = "https://login.example.com/realms/mcp";
const cfg = (extra: Partial<OAuthConfig> = {}): OAuthConfig => ({
  issuer: ISSUER,
  scopes: [],
  validation: "server",
  ...extra,
});

describe("OAuth configuration", () => {
  test("off without an issuer; the other variables alone are a mistake, named", () => {
    expect(readOAuthConfig({})).toBeUndefined();
    expect(readOAuthConfig({ MCP_PUBLIC_URL: "https://mcp.example.com" })).toBeUndefined();
    for (const name of ["MCP_OIDC_AUDIENCE", "MCP_OIDC_JWKS_URL", "MCP_OIDC_SCOPES", "MCP_JWT_VALIDATION"]) {
      expect(() => readOAuthConfig({ [name]: "x" })).toThrow(
        new RegExp(`${name} is set but MCP_OIDC_ISSUER`),
      );
    }
  });

  test("reads every variable; the issuer is kept exactly as tokens spell it", () => {
    const c = readOAuthConfig({
      MCP_OIDC_ISSUER: " https://tenant.auth0.com/ ",
      MCP_OIDC_AUDIENCE: "https://mcp.example.com/mcp",
      MCP_OIDC_JWKS_URL: "https://tenant.auth0.com/.well-known/jwks.json",
      MCP_OIDC_SCOPES: "mcp:tools, mcp:read  mcp:tools",
      MCP_PUBLIC_URL: "https://mcp.example.com/jupyter/",
      MCP_JWT_VALIDATION: "Server",
    });
    expect(c).toEqual({
      issuer: "https://tenant.auth0.com/",
      audience: "https://mcp.example.com/mcp",
      jwksUrl: "https://tenant.auth0.com/.well-known/jwks.json",
      scopes: ["mcp:tools", "mcp:read"],
      publicUrl: "https://mcp.example.com/jupyter",
      validation: "server",
    });
    // Given with its endpoint, the public URL still means the base.
    expect(
      readOAuthConfig({ MCP_OIDC_ISSUER: ISSUER, MCP_PUBLIC_URL: "https://m.example.com/mcp" }),
    ).toMatchObject({ publicUrl: "https://m.example.com" });
  });

  test("front-door by default on Lambda only; a typo is named", () => {
    expect(readOAuthConfig({ MCP_OIDC_ISSUER: ISSUER })?.validation).toBe("server");
    expect(readOAuthConfig({ MCP_OIDC_ISSUER: ISSUER, AWS_LAMBDA_FUNCTION_NAME: "fn" })?.validation).toBe(
      "front-door",
    );
    expect(
      readOAuthConfig({
        MCP_OIDC_ISSUER: ISSUER,
        AWS_LAMBDA_FUNCTION_NAME: "fn",
        MCP_JWT_VALIDATION: "server",
      })?.validation,
    ).toBe("server");
    expect(() => readOAuthConfig({ MCP_OIDC_ISSUER: ISSUER, MCP_JWT_VALIDATION: "frontdoor" })).toThrow(
      /MCP_JWT_VALIDATION is "frontdoor"; use "server".*or "front-door"/,
    );
  });

  test("URLs must be https (http only on loopback), without query or credentials", () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ MCP_OIDC_ISSUER: "login.example.com" }, /MCP_OIDC_ISSUER is not a URL/],
      [{ MCP_OIDC_ISSUER: "http://login.example.com" }, /MCP_OIDC_ISSUER must be an https URL/],
      [{ MCP_OIDC_ISSUER: "https://login.example.com?tenant=1" }, /MCP_OIDC_ISSUER must not carry a query/],
      [
        { MCP_OIDC_ISSUER: ISSUER, MCP_OIDC_JWKS_URL: "http://keys.example.com/jwks" },
        /MCP_OIDC_JWKS_URL must/,
      ],
      [
        { MCP_OIDC_ISSUER: ISSUER, MCP_PUBLIC_URL: "ftp://mcp.example.com" },
        /MCP_PUBLIC_URL must be an https/,
      ],
      [{ MCP_PUBLIC_URL: "https://user:pw@mcp.example.com" }, /MCP_PUBLIC_URL must not carry/],
      [{ MCP_OIDC_ISSUER: ISSUER, MCP_OIDC_SCOPES: 'mcp "x"' }, /MCP_OIDC_SCOPES has "\\"x\\""/],
    ];
    for (const [env, message] of bad) {
      expect(() => readOAuthConfig(env)).toThrow(ConfigError);
      expect(() => readOAuthConfig(env)).toThrow(message);
    }
    expect(readOAuthConfig({ MCP_OIDC_ISSUER: "http://127.0.0.1:8081/realms/t" })?.issuer).toBe(
      "http://127.0.0.1:8081/realms/t",
    );
    expect(readOAuthConfig({ MCP_OIDC_ISSUER: "http://localhost:8081" })?.issuer).toBe(
      "http://localhost:8081",
    );
  });

  test("every variable read is documented for the README table", () => {
    expect(OAUTH_SETTINGS.map((s) => s.name).sort()).toEqual(
      [
        "MCP_JWT_VALIDATION",
        "MCP_OIDC_AUDIENCE",
        "MCP_OIDC_ISSUER",
        "MCP_OIDC_JWKS_URL",
        "MCP_OIDC_SCOPES",
        "MCP_PUBLIC_URL",
      ].sort(),
    );
  });
});

describe("RFC 9728 protected-resource metadata", () => {
  test("the document names the issuer and the /mcp resource", () => {
    const url = new URL("https://abc.lambda-url.eu-west-1.on.aws/.well-known/oauth-protected-resource/mcp");
    expect(protectedResourceMetadata(cfg({ scopes: ["mcp:tools"] }), url)).toEqual({
      resource: "https://abc.lambda-url.eu-west-1.on.aws/mcp",
      authorization_servers: [ISSUER],
      bearer_methods_supported: ["header"],
      scopes_supported: ["mcp:tools"],
      resource_name: "Jupyter MCP server",
    });
    expect(protectedResourceMetadata(cfg(), url)).not.toHaveProperty("scopes_supported");
  });

  test("MCP_PUBLIC_URL wins over the request's host (API Gateway stages, proxies)", () => {
    const c = cfg({ publicUrl: "https://mcp.example.com" });
    const behindStage = new URL("https://abc.execute-api.eu-west-1.amazonaws.com/mcp");
    expect(resourceUrl(c, behindStage)).toBe("https://mcp.example.com/mcp");
    expect(metadataUrl(c, behindStage)).toBe(
      "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
    );
    expect(resourceUrl(cfg(), behindStage)).toBe("https://abc.execute-api.eu-west-1.amazonaws.com/mcp");
  });

  test("a base path before /mcp is kept, in both well-known forms", () => {
    const c = cfg();
    const mcp = new URL("https://shared.example.com/jupyter/mcp");
    expect(metadataUrl(c, mcp)).toBe(
      "https://shared.example.com/jupyter/.well-known/oauth-protected-resource/mcp",
    );
    for (const path of [
      "/jupyter/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-protected-resource/jupyter/mcp", // RFC 9728 §3.1's own form
    ]) {
      const doc = protectedResourceMetadata(c, new URL(path, "https://shared.example.com"));
      expect([path, doc.resource]).toEqual([path, "https://shared.example.com/jupyter/mcp"]);
    }
  });

  test("clients of / and of /mcp each get a resource the MCP SDK accepts for their URL", () => {
    const c = cfg();
    for (const [endpoint, expected] of [
      ["https://h.example.com/mcp", "https://h.example.com/.well-known/oauth-protected-resource/mcp"],
      ["https://h.example.com/", "https://h.example.com/.well-known/oauth-protected-resource"],
      [
        "https://h.example.com/jupyter/",
        "https://h.example.com/jupyter/.well-known/oauth-protected-resource",
      ],
    ] as const) {
      const where = new URL(metadataUrl(c, new URL(endpoint)));
      expect(where.href).toBe(expected);
      const { resource } = protectedResourceMetadata(c, where) as { resource: string };
      expect([
        endpoint,
        checkResourceAllowed({ requestedResource: endpoint, configuredResource: resource }),
      ]).toEqual([endpoint, true]);
    }
    // The bare document's resource is the base itself, which covers /mcp too.
    const bare = new URL("https://h.example.com/.well-known/oauth-protected-resource");
    expect(protectedResourceMetadata(c, bare).resource).toBe("https://h.example.com");
  });

  test("which paths are metadata", () => {
    for (const p of [
      "/.well-known/oauth-protected-resource",
      "/.well-known/oauth-protected-resource/",
      "/.well-known/oauth-protected-resource/mcp",
      "/jupyter/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-protected-resource/jupyter/mcp",
    ]) {
      expect([p, isProtectedResourcePath(p)]).toEqual([p, true]);
    }
    for (const p of [
      "/mcp",
      "/",
      "/.well-known/oauth-authorization-server",
      "/.well-known/oauth-protected-resource/other",
      "/.well-known/oauth-protected-resourcex",
    ]) {
      expect([p, isProtectedResourcePath(p)]).toEqual([p, false]);
    }
  });
});

describe("WWW-Authenticate", () => {
  const resourceExample = cfg({ publicUrl: "https://resource.example.com" });
  const mcp = new URL("https://resource.example.com/mcp");

  test("a request without a token gets RFC 9728 §5.1's challenge", () => {
    expect(wwwAuthenticate(resourceExample, mcp)).toBe(
      'Bearer resource_metadata="https://resource.example.com/.well-known/oauth-protected-resource/mcp"',
    );
    expect(
      wwwAuthenticate(cfg({ scopes: ["mcp:tools", "mcp:read"] }), new URL("http://127.0.0.1:9/mcp")),
    ).toBe(
      'Bearer scope="mcp:tools mcp:read", resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp"',
    );
  });

  test("errors carry error, a description that cannot break the header, and scope", () => {
    const header = wwwAuthenticate(resourceExample, mcp, {
      error: "invalid_token",
      description: 'The "token"\r\nX-Injected: 1 \\ expired',
    });
    expect(header).toBe(
      'Bearer error="invalid_token", error_description="The token X-Injected: 1 expired", ' +
        'resource_metadata="https://resource.example.com/.well-known/oauth-protected-resource/mcp"',
    );
    const parsed = extractWWWAuthenticateParams(
      new Response(null, {
        headers: {
          "WWW-Authenticate": wwwAuthenticate(resourceExample, mcp, {
            error: "insufficient_scope",
            description: "Needs mcp:tools.",
            scope: "mcp:tools",
          }),
        },
      }),
    );
    expect(parsed).toEqual({
      resourceMetadataUrl: new URL("https://resource.example.com/.well-known/oauth-protected-resource/mcp"),
      scope: "mcp:tools",
      error: "insufficient_scope",
      errorDescription: "Needs mcp:tools.",
    });
  });

  test("the HTTP answers: metadata with CORS, 401 and 403 challenges", async () => {
    const c = cfg({ scopes: ["mcp:tools"] });
    const base = "https://h.example.com";
    const get = protectedResourceResponse(c, new Request(`${base}/.well-known/oauth-protected-resource/mcp`));
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe("*");
    expect(await get.json()).toMatchObject({ resource: `${base}/mcp`, authorization_servers: [ISSUER] });
    const preflight = new Request(`${base}/.well-known/oauth-protected-resource`, { method: "OPTIONS" });
    expect(protectedResourceResponse(c, preflight).status).toBe(204);
    const post = new Request(`${base}/.well-known/oauth-protected-resource`, { method: "POST" });
    expect(protectedResourceResponse(c, post).status).toBe(405);

    const missing = challengeResponse(c, new Request(`${base}/mcp`, { method: "POST" }));
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe(
      `Bearer scope="mcp:tools", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(await missing.json()).toMatchObject({ error: "unauthorized" });
    const scope = challengeResponse(c, new Request(`${base}/mcp`), {
      error: "insufficient_scope",
      scope: "mcp:tools",
    });
    expect(scope.status).toBe(403);
    expect(scope.headers.get("www-authenticate")).toMatch(
      /^Bearer error="insufficient_scope", scope="mcp:tools"/,
    );
  });
});
