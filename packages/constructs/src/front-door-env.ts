/**
 * What the function must know about the HTTP API front door, and the combinations that cannot work:
 *
 * - auth "jwt": the HTTP API's JWT authorizer checks tokens, so the handler gets MCP_OIDC_ISSUER (the
 *   authorizer's issuer) and MCP_JWT_VALIDATION=front-door: it serves the RFC 9728 metadata and
 *   answers 401 with `resource_metadata`, and reads the caller from the event. No
 *   MCP_OIDC_AUDIENCE: with front-door validation the handler does not check the audience (the
 *   authorizer checks every listed one), so naming the first would only suggest the others are refused.
 * - auth "token" with an OIDC issuer: the function checks the token and JWTs of that issuer itself
 *   (MCP_JWT_VALIDATION=server, JWKS), on the HTTP API's open routes and on a NONE function URL alike.
 * - a RESPONSE_STREAM function URL: MCP_LAMBDA_STREAMING=1, which wraps the handler in
 *   `awslambda.streamifyResponse`. Every invocation must then stream: the HTTP API's integration
 *   invokes buffered and would get no proxy result, so the HTTP API must be off.
 */
import type { Precondition } from "cdktf";
import { envWhen, mergeEnvironments, oidcEnvironmentParts } from "./oauth.js";
import { and, eq, isSet, not, or, type Cond, type OptString } from "./util.js";

/** In-server JWT validation for auth "token" (the module's oidc_* inputs). */
export interface HttpApiOidc {
  readonly issuer?: OptString;
  readonly audience?: OptString;
  readonly scopes?: string[];
}

export const STREAMING_NEEDS_NO_HTTP_API =
  'function_url_invoke_mode "RESPONSE_STREAM" makes the handler a streaming one (MCP_LAMBDA_STREAMING=1), which the HTTP API\'s buffered integration cannot invoke: set create_http_api = false (the function URL is then the only front door), or keep "BUFFERED".';
export const NEEDS_A_FRONT_DOOR =
  "create_http_api = false needs create_function_url = true: otherwise nothing fronts the function.";
export const JWT_NEEDS_HTTP_API =
  'auth_type "jwt" is checked by the HTTP API\'s JWT authorizer, so it needs create_http_api = true. For JWTs on a function URL alone use auth_type "token" with oidc_issuer (the function checks them).';
export const OIDC_NEEDS_TOKEN_AUTH =
  'oidc_issuer (JWTs checked by the function) goes with auth_type "token" only: with "jwt" the HTTP API\'s authorizer checks JWTs (jwt_issuer), with "iam" callers sign with SigV4.';

export interface FrontDoorEnvironmentProps {
  readonly authType: string;
  readonly jwtIssuer?: string;
  readonly oidc?: HttpApiOidc;
  readonly createHttpApi: Cond;
  readonly createFunctionUrl: Cond;
  readonly functionUrlInvokeMode?: string;
}

export function frontDoorEnvironment(props: FrontDoorEnvironmentProps): {
  environment?: Record<string, string>;
  preconditions: Precondition[];
} {
  const { authType, createHttpApi: api, createFunctionUrl: url } = props;
  const isJwt = eq(authType, "jwt");
  const isToken = eq(authType, "token");
  const oidc = props.oidc ?? {};
  const streamMode = eq(props.functionUrlInvokeMode ?? "BUFFERED", "RESPONSE_STREAM");

  const preconditions: Precondition[] = [];
  const check = (condition: Cond, errorMessage: string) => {
    if (condition === false) throw new Error(errorMessage);
    if (condition !== true) preconditions.push({ condition, errorMessage });
  };
  check(or(not(streamMode), not(api)), STREAMING_NEEDS_NO_HTTP_API);
  check(or(api, url), NEEDS_A_FRONT_DOOR);
  check(or(not(isJwt), api), JWT_NEEDS_HTTP_API);
  check(or(not(isSet(oidc.issuer)), isToken), OIDC_NEEDS_TOKEN_AUTH);

  const parts = [
    ...oidcEnvironmentParts({ issuer: props.jwtIssuer, validation: "front-door", enabled: isJwt }),
    ...oidcEnvironmentParts({ ...oidc, issuer: oidc.issuer, validation: "server", enabled: isToken }),
    envWhen(and(url, streamMode), { MCP_LAMBDA_STREAMING: "1" }),
  ];
  const environment = mergeEnvironments(parts);
  return {
    environment: Object.keys(environment).length === 0 ? undefined : environment,
    preconditions,
  };
}
