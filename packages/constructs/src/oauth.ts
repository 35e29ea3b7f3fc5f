/**
 * The handler's OAuth settings as environment variables (packages/handler README, "OAuth discovery
 * and JWT validation"): with MCP_OIDC_ISSUER set the server serves RFC 9728 protected resource
 * metadata (`/.well-known/oauth-protected-resource[/mcp]`, without auth) and answers 401 with
 * `WWW-Authenticate: Bearer resource_metadata="…"`. Who checks the JWT is MCP_JWT_VALIDATION:
 * - "front-door": an API Gateway authorizer did (HTTP API JWT, REST API Cognito or Lambda); the
 *   caller comes from the Lambda event. The audience and the scopes are the authorizer's business.
 * - "server": the process does, with the issuer's JWKS (Function URL, ALB/Fargate).
 */
import { Fn, Op, Token } from "cdktf";
import { and, isLiteral, isSet, pick, type Cond, type OptString } from "./util.js";

export type JwtValidation = "server" | "front-door";

export interface OidcEnvironmentOptions {
  /** Exactly the tokens' `iss`; unset (null or ""): no OAuth variables at all. */
  readonly issuer: OptString;
  readonly validation: JwtValidation;
  /** MCP_OIDC_AUDIENCE: checked by in-server validation (aud, or client_id without aud). */
  readonly audience?: OptString;
  /** MCP_OIDC_SCOPES (space separated): advertised, and with "server" a token needs one of them. */
  readonly scopes?: string[];
  /** MCP_PUBLIC_URL: the public base URL, where the request URL is not the one clients use. */
  readonly publicUrl?: string;
  /** Whether `publicUrl` applies (default: whenever it is given). */
  readonly publicUrlWhen?: Cond;
  /** A further condition for all of it (e.g. `auth_type == "jwt"`). */
  readonly enabled?: Cond;
}

/** A list of strings, literal or plan-time (not null), has items. */
export function hasStrings(list: string[] | undefined): Cond {
  if (list === undefined) return false;
  return Token.isUnresolved(list) ? Op.gte(Fn.lengthOf(list), 1) : list.length > 0;
}

/** The OAuth variables for the handler: a literal map, or a plan-time one. */
export function oidcEnvironment(o: OidcEnvironmentOptions): Record<string, string> {
  return mergeEnvironments(oidcEnvironmentParts(o));
}

/** The same as maps to merge (each literal, or chosen at plan time). */
export function oidcEnvironmentParts(o: OidcEnvironmentOptions): Record<string, string>[] {
  const on = and(o.enabled ?? true, isSet(o.issuer));
  const scopes = o.scopes ?? [];
  return [
    envWhen(on, { MCP_OIDC_ISSUER: o.issuer ?? "", MCP_JWT_VALIDATION: o.validation }),
    envWhen(and(on, isSet(o.audience)), { MCP_OIDC_AUDIENCE: o.audience ?? "" }),
    envWhen(and(on, hasStrings(scopes)), {
      MCP_OIDC_SCOPES: Token.isUnresolved(scopes) ? Fn.join(" ", scopes) : scopes.join(" "),
    }),
    envWhen(and(on, o.publicUrl === undefined ? false : (o.publicUrlWhen ?? true)), {
      MCP_PUBLIC_URL: o.publicUrl ?? "",
    }),
  ];
}

/** `environment` when the condition holds, else no variables. */
export function envWhen(c: Cond, environment: Record<string, string>): Record<string, string> {
  return pick<Record<string, string>>(c, environment, {});
}

/** Merges environment maps: in TypeScript when all are literal, else with Terraform's merge(). */
export function mergeEnvironments(parts: Record<string, string>[]): Record<string, string> {
  if (parts.every((p) => !Token.isUnresolved(p)))
    return Object.assign({}, ...parts) as Record<string, string>;
  return Token.asStringMap(Fn.merge(parts.filter((p) => Token.isUnresolved(p) || Object.keys(p).length > 0)));
}

/**
 * The issuer of a Cognito user pool's tokens, from the pool's ARN
 * (arn:PARTITION:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID):
 * `https://cognito-idp.REGION.<DNS suffix>/POOL_ID` ("Verifying a JSON web token": the `iss` claim,
 * https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html).
 * `dnsSuffix` is the partition's (amazonaws.com; amazonaws.com.cn in China).
 */
export function cognitoIssuer(poolArn: string, dnsSuffix: string): string {
  if (!Token.isUnresolved(poolArn) && !Token.isUnresolved(dnsSuffix)) {
    const m = /^arn:[^:]+:cognito-idp:([^:]+):[0-9]{12}:userpool\/(.+)$/.exec(poolArn);
    if (!m) throw new Error(`not a Cognito user pool ARN: ${poolArn}`);
    return `https://cognito-idp.${m[1]}.${dnsSuffix}/${m[2]}`;
  }
  return Fn.format("https://cognito-idp.%s.%s/%s", [
    Fn.element(Fn.split(":", poolArn), 3),
    dnsSuffix,
    Fn.element(Fn.split("/", poolArn), 1),
  ]);
}

/** `a` when it is set (not null, not ""), else `b`. */
export function firstSet(a: OptString, b: string): string {
  const set = isSet(a);
  return isLiteral(set) ? (set ? a! : b) : pick(set, a ?? "", b);
}
