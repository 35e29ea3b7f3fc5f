import { ConfigError, isLoopbackHost, type SettingDoc } from "../config.js";

/**
 * OAuth settings: which issuer's JWTs name our callers, and who checks them. With an issuer set,
 * the server publishes RFC 9728 protected-resource metadata and answers 401 with a
 * `WWW-Authenticate` that points MCP clients at it.
 */
export interface OAuthConfig {
  /** Exactly as the tokens' `iss` claim spells it (Auth0 ends it with "/", Cognito does not). */
  issuer: string;
  /** Audience the token must carry in `aud` (or `client_id` when it has no `aud`, like Cognito). */
  audience?: string;
  /** Unset: the `jwks_uri` of the issuer's OpenID configuration, fetched on first use. */
  jwksUrl?: string;
  /** Advertised as `scopes_supported`; a token needs at least one of them (as API Gateway does). */
  scopes: string[];
  /** Public base URL (no `/mcp`), for the `resource` value when the request URL is not it. */
  publicUrl?: string;
  /** `server`: this process validates the JWT. `front-door`: an authorizer did; we read the event. */
  validation: "server" | "front-door";
}

export type JwtValidation = OAuthConfig["validation"];

/** Rows for the README's configuration table (merge into SETTINGS). */
export const OAUTH_SETTINGS: readonly SettingDoc[] = [
  {
    name: "MCP_OIDC_ISSUER",
    default: "(unset)",
    meaning:
      "OIDC issuer whose JWTs name callers (https; exactly the tokens' iss). Turns on RFC 9728 metadata and JWT auth.",
  },
  {
    name: "MCP_OIDC_AUDIENCE",
    default: "(unset)",
    meaning: "Audience a token must carry (aud, or client_id when it has no aud). Unset: not checked.",
  },
  {
    name: "MCP_OIDC_JWKS_URL",
    default: "(discovered)",
    meaning: "Signing keys of the issuer. Unset: jwks_uri from <issuer>/.well-known/openid-configuration.",
  },
  {
    name: "MCP_OIDC_SCOPES",
    default: "(empty)",
    meaning: "Scopes (comma or space separated) advertised to clients; a token needs at least one of them.",
  },
  {
    name: "MCP_PUBLIC_URL",
    default: "(from request)",
    meaning:
      "Public base URL, e.g. https://mcp.example.com, for the metadata's resource (needed behind a stage path).",
  },
  {
    name: "MCP_JWT_VALIDATION",
    default: "front-door on Lambda, else server",
    meaning:
      "server: this process checks JWTs (Function URL, ALB, Fargate, local). front-door: an API Gateway JWT authorizer did.",
  },
];

const OIDC_ONLY = ["MCP_OIDC_AUDIENCE", "MCP_OIDC_JWKS_URL", "MCP_OIDC_SCOPES", "MCP_JWT_VALIDATION"];

// RFC 6749 §3.3 scope-token: printable ASCII without space, '"' and '\', so it quotes safely.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Reads the OAuth settings; undefined when no issuer is configured. Throws ConfigError on bad values. */
export function readOAuthConfig(env: NodeJS.ProcessEnv): OAuthConfig | undefined {
  const issuer = text(env.MCP_OIDC_ISSUER);
  const publicUrl = text(env.MCP_PUBLIC_URL);
  const base = publicUrl === undefined ? undefined : readPublicUrl(publicUrl);
  if (issuer === undefined) {
    const orphan = OIDC_ONLY.find((name) => text(env[name]) !== undefined);
    if (orphan !== undefined) {
      throw new ConfigError(`${orphan} is set but MCP_OIDC_ISSUER is not; set the issuer to turn on OAuth.`);
    }
    return undefined;
  }
  checkUrl("MCP_OIDC_ISSUER", issuer, "the issuer URL, e.g. https://login.example.com/realms/mcp");
  const jwksUrl = text(env.MCP_OIDC_JWKS_URL);
  if (jwksUrl !== undefined) checkUrl("MCP_OIDC_JWKS_URL", jwksUrl, "the issuer's JWKS URL");
  const audience = text(env.MCP_OIDC_AUDIENCE);
  return {
    issuer,
    ...(audience !== undefined ? { audience } : {}),
    ...(jwksUrl !== undefined ? { jwksUrl } : {}),
    scopes: readScopes(env.MCP_OIDC_SCOPES),
    ...(base !== undefined ? { publicUrl: base } : {}),
    validation: readValidation(env),
  };
}

function readValidation(env: NodeJS.ProcessEnv): JwtValidation {
  const value = text(env.MCP_JWT_VALIDATION)?.toLowerCase();
  // On Lambda the usual front door is API Gateway with a JWT authorizer; everywhere else nobody
  // checks the token before us. A Function URL on Lambda must say `server` explicitly.
  if (value === undefined) return env.AWS_LAMBDA_FUNCTION_NAME ? "front-door" : "server";
  if (value === "server" || value === "front-door") return value;
  throw new ConfigError(
    `MCP_JWT_VALIDATION is "${value}"; use "server" (this process checks JWTs) or "front-door" (an API Gateway JWT authorizer did).`,
  );
}

function readScopes(raw: string | undefined): string[] {
  const scopes = [...new Set((raw ?? "").split(/[\s,]+/).filter(Boolean))];
  const bad = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (bad !== undefined) {
    throw new ConfigError(
      `MCP_OIDC_SCOPES has ${JSON.stringify(bad)}, which is not a scope (printable ASCII without quotes or backslashes).`,
    );
  }
  return scopes;
}

/** The base URL without a trailing "/" or "/mcp": the resource is always `<base>/mcp`. */
function readPublicUrl(raw: string): string {
  const url = checkUrl("MCP_PUBLIC_URL", raw, "the server's public base URL, e.g. https://mcp.example.com");
  return `${url.origin}${url.pathname.replace(/\/+$/, "").replace(/\/mcp$/, "")}`;
}

/** https, or http on a loopback host (tests and local IdPs); no query or fragment (OIDC §3.1.2.1). */
function checkUrl(name: string, raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL (${JSON.stringify(raw)}); give ${what}.`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ConfigError(`${name} must be an https URL (http only for localhost); got ${url.protocol}//.`);
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ConfigError(`${name} must not carry a query, fragment or credentials; give ${what}.`);
  }
  return url;
}

function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
