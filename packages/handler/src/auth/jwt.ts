import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import type { OAuthConfig } from "./oauth-config.js";
import type { BearerChallenge } from "./protected-resource.js";

/**
 * JWT validation inside the server, for front doors without a JWT authorizer (Function URL, ALB,
 * Fargate, local). It checks what API Gateway's JWT authorizer checks, so a token is accepted or
 * refused the same way whichever door it comes through, and names the caller the same way.
 */

/** Asymmetric only: an HS* token could be "signed" with our public key, and `none` is not signed. */
export const ALLOWED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/** Longer than any real access token; bounds the work a garbage header can cause. */
const MAX_TOKEN_CHARS = 16_384;

/** The token is missing, malformed, forged, expired or for someone else: 401, get a new one. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
  get challenge(): BearerChallenge {
    return { error: "invalid_token", description: this.message };
  }
}

/** A valid token without any of the scopes this server needs: 403 (RFC 6750 §3.1). */
export class InsufficientScopeError extends Error {
  override name = "InsufficientScopeError";
  constructor(readonly requiredScopes: readonly string[]) {
    super(`The access token has none of the scopes this server needs: ${requiredScopes.join(", ")}.`);
  }
  get challenge(): BearerChallenge {
    return { error: "insufficient_scope", description: this.message, scope: this.requiredScopes.join(" ") };
  }
}

/** The issuer's keys or discovery document cannot be had right now: 503, not the caller's fault. */
export class AuthUnavailableError extends Error {
  override name = "AuthUnavailableError";
}

export interface VerifiedToken {
  /** `jwt:<iss>|<sub>`, exactly what the front door's identity gives (workspace/identity.ts). */
  identity: string;
  scopes: string[];
}

export interface JwtVerifierOptions {
  /** Replaces fetch for discovery and JWKS (tests of odd networks); real HTTP otherwise. */
  fetchImpl?: typeof fetch;
  /** Per request to the issuer; a hung IdP costs a caller at most this. */
  timeoutMs?: number;
  /** A token with an unknown kid refetches the keys at most this often (key rotation, not a DoS). */
  cooldownMs?: number;
  /** How long fetched keys are trusted before they are fetched again. */
  cacheMaxAgeMs?: number;
  clockToleranceSeconds?: number;
}

export class JwtVerifier {
  private keys: Promise<JWTVerifyGetKey> | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(
    private readonly cfg: OAuthConfig,
    private readonly options: JwtVerifierOptions = {},
  ) {
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** The caller a bearer token names, or InvalidTokenError / InsufficientScopeError / AuthUnavailableError. */
  async verify(token: string): Promise<VerifiedToken> {
    if (token.length > MAX_TOKEN_CHARS || !looksLikeJwt(token)) {
      throw new InvalidTokenError("The access token is not a JWT.");
    }
    const getKey = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: this.cfg.issuer,
        algorithms: ALLOWED_ALGORITHMS,
        requiredClaims: ["exp", "sub"],
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
      }));
    } catch (err) {
      throw refusal(err);
    }
    const sub = payload.sub;
    if (typeof sub !== "string" || sub === "") throw new InvalidTokenError('The access token has no "sub".');
    this.checkAudience(payload);
    const scopes = tokenScopes(payload);
    if (this.cfg.scopes.length > 0 && !this.cfg.scopes.some((s) => scopes.includes(s))) {
      throw new InsufficientScopeError(this.cfg.scopes);
    }
    return { identity: `jwt:${payload.iss ?? this.cfg.issuer}|${sub}`, scopes };
  }

  // API Gateway's rule: `aud` must hold the audience; a token without `aud` (Cognito access tokens)
  // is matched on `client_id` instead.
  private checkAudience(payload: JWTPayload): void {
    const audience = this.cfg.audience;
    if (audience === undefined) return;
    const aud = payload.aud;
    const ok =
      aud !== undefined
        ? (Array.isArray(aud) ? aud : [aud]).includes(audience)
        : payload.client_id === audience;
    if (!ok) throw new InvalidTokenError("The access token is for another audience.");
  }

  /** The issuer's key set, built once; a failed discovery is retried by the next request. */
  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.jwksUrl().then(
      (url) => guardKeyFetch(this.remoteKeys(url), url),
      (err: unknown) => {
        this.keys = undefined;
        throw err;
      },
    );
    return this.keys;
  }

  private remoteKeys(url: URL): JWTVerifyGetKey {
    return createRemoteJWKSet(url, {
      timeoutDuration: this.timeoutMs,
      cooldownDuration: this.options.cooldownMs ?? 30_000,
      cacheMaxAge: this.options.cacheMaxAgeMs ?? 600_000,
      [customFetch]: this.fetchImpl,
    });
  }

  private async jwksUrl(): Promise<URL> {
    if (this.cfg.jwksUrl !== undefined) return new URL(this.cfg.jwksUrl);
    // OIDC Discovery §4: drop a trailing "/" from the issuer, then append the well-known path.
    const where = `${this.cfg.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const unavailable = (why: string) =>
      new AuthUnavailableError(`Cannot read the OpenID configuration at ${where}: ${why}.`);
    let doc: unknown;
    try {
      const response = await this.fetchImpl(where, {
        headers: { accept: "application/json" },
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw unavailable(`HTTP ${response.status}`);
      }
      doc = await response.json();
    } catch (err) {
      if (err instanceof AuthUnavailableError) throw err;
      throw unavailable(isTimeout(err) ? `no answer within ${this.timeoutMs} ms` : causeText(err));
    }
    const { issuer, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    // OIDC Discovery §4.3: the document must name the issuer we were configured with.
    if (issuer !== this.cfg.issuer) {
      throw unavailable(
        `it names the issuer ${JSON.stringify(issuer)}, not MCP_OIDC_ISSUER ${JSON.stringify(this.cfg.issuer)}`,
      );
    }
    if (typeof jwksUri !== "string") throw unavailable("it has no jwks_uri; set MCP_OIDC_JWKS_URL");
    let url: URL;
    try {
      url = new URL(jwksUri);
    } catch {
      throw unavailable(`its jwks_uri ${JSON.stringify(jwksUri)} is not a URL`);
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && new URL(where).protocol === "http:")) {
      throw unavailable(`its jwks_uri is not https (${url.protocol})`);
    }
    return url;
  }
}

/** `Authorization: Bearer <token>` → the token, or undefined. */
export function bearerToken(authorization: string | null): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "")?.[1];
}

/** Three base64url segments: worth handing to the verifier (static tokens are not shaped so). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** `scope` (RFC 9068, space-separated) or `scp` (Okta: array; Entra: string). */
function tokenScopes(payload: JWTPayload): string[] {
  const found: string[] = [];
  for (const claim of [payload.scope, payload.scp]) {
    if (typeof claim === "string") found.push(...claim.split(" ").filter(Boolean));
    else if (Array.isArray(claim)) found.push(...claim.filter((s): s is string => typeof s === "string"));
  }
  return [...new Set(found)];
}

/**
 * Key lookups that fail for the token's sake (no key with its kid) stay token errors; anything
 * else from the key fetch (refused, timed out, not JSON, not a JWKS) is the issuer being
 * unavailable, which no new token would fix.
 */
function guardKeyFetch(keys: JWTVerifyGetKey, url: URL): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (err) {
      if (
        err instanceof errors.JWKSNoMatchingKey ||
        err instanceof errors.JWKSMultipleMatchingKeys ||
        err instanceof errors.JOSENotSupported
      ) {
        throw err;
      }
      const why = err instanceof errors.JWKSTimeout ? "no answer in time" : causeText(err);
      throw new AuthUnavailableError(`Cannot fetch the issuer's signing keys from ${url.href}: ${why}.`);
    }
  };
}

/** jose's error → the short, safe text a client may see. Never the token or its claims' values. */
function refusal(err: unknown): Error {
  if (err instanceof AuthUnavailableError) return err;
  if (err instanceof errors.JWTExpired) return new InvalidTokenError("The access token has expired.");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return new InvalidTokenError(`The access token has no "${err.claim}".`);
    if (err.claim === "iss") return new InvalidTokenError("The access token is from another issuer.");
    if (err.claim === "nbf") return new InvalidTokenError("The access token is not valid yet.");
    return new InvalidTokenError(`The access token's "${err.claim}" is invalid.`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new InvalidTokenError("The access token is signed with an algorithm this server does not accept.");
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new InvalidTokenError("The access token is signed with a key the issuer does not publish.");
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError("The access token's signature does not verify.");
  }
  if (err instanceof errors.JOSEError) return new InvalidTokenError("The access token is malformed.");
  // Not jose's: a bug or an environment problem, not something to blame on the caller's token.
  return err instanceof Error ? err : new Error(String(err));
}

// Duck-typed: fetch's errors come from Node's own realm, where `instanceof Error` can be false.
function causeText(err: unknown): string {
  const { message, cause } = (typeof err === "object" && err !== null ? err : {}) as {
    message?: unknown;
    cause?: { code?: unknown };
  };
  if (typeof message !== "string") return String(err);
  const code = typeof cause === "object" && cause !== null ? cause.code : undefined;
  return typeof code === "string" ? `${message} (${code})` : message;
}

function isTimeout(err: unknown): boolean {
  const name = typeof err === "object" && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === "TimeoutError" || name === "AbortError";
}
