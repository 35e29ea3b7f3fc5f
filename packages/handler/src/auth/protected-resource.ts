import type { OAuthConfig } from "./oauth-config.js";

/**
 * RFC 9728 protected-resource metadata: how an MCP client that got a 401 learns which authorization
 * server issues our tokens. Public, like the authorization server's own discovery document.
 */
export const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";
export const RESOURCE_NAME = "Jupyter MCP server";

/** What a 401 or 403 says about the token (RFC 6750 §3). */
export interface BearerChallenge {
  error: "invalid_token" | "insufficient_scope";
  description?: string;
  scope?: string;
}

// `<prefix>/.well-known/oauth-protected-resource[<suffix>]`, where the suffix names the resource:
// none (the root endpoint), "/mcp", or RFC 9728 §3.1's insertion before a base path ("/jupyter/mcp").
const METADATA_PATH = /^(.*?)\/\.well-known\/oauth-protected-resource((?:\/[^/]+)*\/mcp)?\/*$/;

/** Both forms we serve, with or without a base path in front, and RFC 9728's form behind one. */
export function isProtectedResourcePath(path: string): boolean {
  return METADATA_PATH.test(path);
}

/**
 * Where this server lives and which of its MCP endpoints the request is about. The endpoint
 * matters to clients: the MCP SDK accepts metadata only if its `resource` is a prefix of the URL
 * it connected to, so a client of `/` must not be told the resource is `/mcp`.
 */
function locate(cfg: OAuthConfig, requestUrl: URL): { base: string; endpoint: "/" | "/mcp" } {
  const path = requestUrl.pathname;
  const metadata = METADATA_PATH.exec(path);
  let basePath: string;
  let endpoint: "/" | "/mcp";
  if (metadata) {
    const prefix = metadata[1] ?? "";
    const suffix = metadata[2] ?? "";
    endpoint = suffix === "" ? "/" : "/mcp";
    basePath = prefix !== "" ? prefix : suffix.replace(/\/mcp$/, "");
  } else {
    const trimmed = path.replace(/\/+$/, "");
    endpoint = /(^|\/)mcp$/.test(trimmed) ? "/mcp" : "/";
    basePath = trimmed.replace(/\/mcp$/, "");
  }
  return { base: cfg.publicUrl ?? `${requestUrl.origin}${basePath}`, endpoint };
}

/** The protected resource: `<base>/mcp`, or `<base>` itself for the root endpoint. */
export function resourceUrl(cfg: OAuthConfig, requestUrl: URL): string {
  const { base, endpoint } = locate(cfg, requestUrl);
  return endpoint === "/mcp" ? `${base}/mcp` : base;
}

/** The metadata document for the resource the request is about (RFC 9728 §2). */
export function protectedResourceMetadata(cfg: OAuthConfig, requestUrl: URL): Record<string, unknown> {
  return {
    resource: resourceUrl(cfg, requestUrl),
    authorization_servers: [cfg.issuer],
    bearer_methods_supported: ["header"],
    ...(cfg.scopes.length > 0 ? { scopes_supported: cfg.scopes } : {}),
    resource_name: RESOURCE_NAME,
  };
}

/** `<base>/.well-known/oauth-protected-resource/mcp` for /mcp, without `/mcp` for the root endpoint. */
export function metadataUrl(cfg: OAuthConfig, requestUrl: URL): string {
  const { base, endpoint } = locate(cfg, requestUrl);
  return `${base}${PROTECTED_RESOURCE_PATH}${endpoint === "/mcp" ? "/mcp" : ""}`;
}

/**
 * The `WWW-Authenticate` value of a 401/403 (RFC 9728 §5.1, RFC 6750 §3). Without an error it is
 * the bare challenge of a request that sent no token; `scope` defaults to the configured scopes so
 * clients ask for them up front (MCP's scope selection).
 */
export function wwwAuthenticate(cfg: OAuthConfig, requestUrl: URL, error?: BearerChallenge): string {
  const params: [string, string][] = [];
  if (error) {
    params.push(["error", error.error]);
    const description = error.description === undefined ? "" : descriptionText(error.description);
    if (description !== "") params.push(["error_description", description]);
  }
  const scope = error?.scope ?? cfg.scopes.join(" ");
  if (scope !== "") params.push(["scope", scope]);
  params.push(["resource_metadata", metadataUrl(cfg, requestUrl)]);
  return `Bearer ${params.map(([name, value]) => `${name}=${quoted(value)}`).join(", ")}`;
}

/**
 * The metadata as an HTTP answer: GET/HEAD, and OPTIONS for browser clients' preflight (the MCP SDK
 * sends `MCP-Protocol-Version`). Readable from any origin: it is public and holds no secret.
 */
export function protectedResourceResponse(cfg: OAuthConfig, request: Request): Response {
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, HEAD, OPTIONS",
    "access-control-allow-headers": "mcp-protocol-version, content-type",
  };
  if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response(JSON.stringify({ error: "method_not_allowed", message: "Use GET on this path." }), {
      status: 405,
      headers: { "content-type": "application/json", allow: "GET, HEAD, OPTIONS" },
    });
  }
  const body = JSON.stringify(protectedResourceMetadata(cfg, new URL(request.url)));
  return new Response(request.method === "HEAD" ? null : body, {
    status: 200,
    headers: { "content-type": "application/json", "cache-control": "public, max-age=300", ...cors },
  });
}

/**
 * The 401 (no or bad token) or 403 (valid token, too few scopes) for a request, with a JSON body
 * saying the same as the header for people reading it with curl.
 */
export function challengeResponse(cfg: OAuthConfig, request: Request, error?: BearerChallenge): Response {
  const url = new URL(request.url);
  const insufficient = error?.error === "insufficient_scope";
  const message =
    error?.description ??
    "This server needs an OAuth access token: send it as `Authorization: Bearer <token>`; resource_metadata in WWW-Authenticate says where to get one.";
  return new Response(JSON.stringify({ error: error?.error ?? "unauthorized", message }), {
    status: insufficient ? 403 : 401,
    headers: { "content-type": "application/json", "www-authenticate": wwwAuthenticate(cfg, url, error) },
  });
}

// RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E, so it never needs
// escaping and cannot break the header.
function descriptionText(description: string): string {
  return description
    .replace(/["\\]/g, "")
    .replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();
}

/** An RFC 9110 quoted-string; control characters are dropped so no value can split the header. */
function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/[\x00-\x1F\x7F]/g, "").replace(/["\\]/g, "\\$&")}"`;
}
