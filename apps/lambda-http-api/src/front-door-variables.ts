/**
 * The HTTP API front door's inputs: auth, throttling, the function URL, a custom domain and CORS
 * (named as terraform-aws-modules/apigateway-v2 names them). Returns McpHttpApi props.
 */
import type { IResolvable } from "cdktf";
import {
  ARN_PATTERNS,
  AUTH_TYPES,
  FUNCTION_URL_INVOKE_MODES,
  oidcVariables,
  optionalString,
  rule,
  URL_PRINCIPAL_PATTERN,
  type Cond,
  type McpHttpApiProps,
  type ModuleStack,
} from "@jupyter-mcp/constructs";

export type FrontDoorInputs = Omit<
  McpHttpApiProps,
  "name" | "fn" | "accessLogRetentionDays" | "logKmsKeyArn" | "tags"
> & {
  authType: string;
  createHttpApi: Cond;
  createFunctionUrl: Cond;
  /** Whether oidc_issuer is set: then the token is optional (JWT callers only). */
  oidcIssuerSet: Cond;
};

export function frontDoorVariables(stack: ModuleStack): FrontDoorInputs {
  const authType = stack.variable("auth_type", {
    type: "string",
    default: "token",
    description:
      'How callers authenticate: "token" (bearer token checked by the function, kept in Secrets Manager or SSM), "jwt" (HTTP API JWT authorizer: OIDC or Cognito) or "iam" (SigV4, AWS_IAM route authorization).',
    validation: [
      rule(
        `contains([${AUTH_TYPES.map((t) => `"${t}"`).join(", ")}], var.auth_type)`,
        'auth_type must be "token", "jwt" or "iam".',
      ),
    ],
  }).stringValue;
  const jwtIssuer = optionalString(stack, "jwt_issuer", {
    description:
      'OIDC issuer URL for auth_type "jwt", e.g. https://cognito-idp.REGION.amazonaws.com/USER_POOL_ID.',
    pattern: "^https://",
    message: "jwt_issuer must be an https:// URL.",
  });
  const jwtAudience = stack.variable("jwt_audience", {
    type: "list(string)",
    default: [],
    description: 'Accepted JWT audiences for auth_type "jwt" (for Cognito: the app client IDs).',
  }).listValue;
  const burst = stack.variable("throttling_burst_limit", {
    type: "number",
    default: 10,
    description: "HTTP API stage burst limit (requests).",
    validation: [rule("var.throttling_burst_limit >= 0", "throttling_burst_limit must be 0 or more.")],
  }).numberValue;
  const rate = stack.variable("throttling_rate_limit", {
    type: "number",
    default: 5,
    description: "HTTP API stage steady-state rate limit (requests per second).",
    validation: [rule("var.throttling_rate_limit >= 0", "throttling_rate_limit must be 0 or more.")],
  }).numberValue;
  const createHttpApi = stack.variable("create_http_api", {
    type: "bool",
    default: true,
    description:
      'Create the HTTP API. false: the function URL is the only front door (needs create_function_url = true, and an auth_type other than "jwt"), as a RESPONSE_STREAM function URL requires.',
  }).booleanValue;
  const createUrl = stack.variable("create_function_url", {
    type: "bool",
    default: false,
    description:
      "Create a Lambda function URL on the `live` alias, for calls longer than the HTTP API's 30 s limit (up to the function timeout).",
  }).booleanValue;
  const urlAuth = stack.variable("function_url_authorization_type", {
    type: "string",
    default: "AWS_IAM",
    description:
      'Function URL auth: "AWS_IAM" (SigV4: identities of this account whose IAM policy allows lambda:InvokeFunctionUrl and lambda:InvokeFunction on the alias, plus function_url_allowed_principals) or "NONE" (public; allowed only with auth_type "token", where the function checks the token).',
    validation: [
      rule(
        'contains(["AWS_IAM", "NONE"], var.function_url_authorization_type)',
        'function_url_authorization_type must be "AWS_IAM" or "NONE".',
      ),
    ],
  }).stringValue;
  const principals = stack.variable("function_url_allowed_principals", {
    type: "list(string)",
    default: [],
    description:
      "With an AWS_IAM function URL: account IDs or IAM role, user or account root ARNs (typically of other accounts) that the function's resource policy admits, each with lambda:InvokeFunctionUrl and lambda:InvokeFunction through the URL only. Empty: only identities of this account, by their own IAM policies.",
    validation: [
      rule(
        `alltrue([for p in var.function_url_allowed_principals : can(regex(${JSON.stringify(URL_PRINCIPAL_PATTERN)}, p))])`,
        "function_url_allowed_principals must be 12-digit account IDs or IAM root, role or user ARNs.",
      ),
    ],
  }).listValue;
  const invokeMode = stack.variable("function_url_invoke_mode", {
    type: "string",
    default: "BUFFERED",
    description:
      'Function URL invoke mode: "BUFFERED" (the whole response at once, up to 6 MB) or "RESPONSE_STREAM" (streamed: MCP progress notifications reach the client while a cell runs; sets MCP_LAMBDA_STREAMING=1). A streaming handler cannot answer the HTTP API\'s buffered integration, so "RESPONSE_STREAM" needs create_http_api = false.',
    validation: [
      rule(
        `contains([${FUNCTION_URL_INVOKE_MODES.map((m) => `"${m}"`).join(", ")}], var.function_url_invoke_mode)`,
        'function_url_invoke_mode must be "BUFFERED" or "RESPONSE_STREAM".',
      ),
    ],
  }).stringValue;
  const oidc = oidcVariables(
    stack,
    'with auth_type "token", besides the token: on the HTTP API\'s routes and on a function URL with authorization "NONE"',
  );
  const domainName = optionalString(stack, "domain_name", {
    description:
      "Custom domain of the API, e.g. mcp.example.com (needs domain_name_certificate_arn). mcp_url then uses it. null: the API's execute-api URL.",
    pattern: "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$",
    message: "domain_name must be a lowercase DNS name.",
  });
  const certificateArn = optionalString(stack, "domain_name_certificate_arn", {
    description: "ACM certificate for domain_name, in the API's region.",
    pattern: ARN_PATTERNS.acm,
    message: "domain_name_certificate_arn must be an ACM certificate ARN.",
  });
  const zoneId = optionalString(stack, "route53_zone_id", {
    description:
      "Route 53 hosted zone in which to create an alias record for domain_name. null: create none (point your DNS at the api_domain_target output yourself).",
    pattern: "^Z[A-Z0-9]+$",
    message: "route53_zone_id must be a Route 53 hosted zone ID.",
  });
  const cors = stack.variable("cors_configuration", {
    // The HCL printer may need to break this over lines: on one line it is over 200 characters.
    type: "object({ allow_credentials = optional(bool), allow_headers = optional(list(string)), allow_methods = optional(list(string)), allow_origins = optional(list(string)), expose_headers = optional(list(string)), max_age = optional(number) })",
    default: null,
    description:
      'CORS for browser-based MCP clients: API Gateway then answers preflight requests itself, before any authorizer. E.g. { allow_origins = ["https://app.example.com"], allow_methods = ["POST", "GET", "DELETE"], allow_headers = ["authorization", "content-type", "mcp-protocol-version", "mcp-session-id"], expose_headers = ["mcp-session-id"] }. null: no CORS.',
  }).value as IResolvable;
  return {
    authType,
    jwtIssuer,
    jwtAudience,
    throttlingBurstLimit: burst,
    throttlingRateLimit: rate,
    createHttpApi,
    createFunctionUrl: createUrl,
    functionUrlInvokeMode: invokeMode,
    oidc: { issuer: oidc.issuer, audience: oidc.audience, scopes: oidc.scopes },
    oidcIssuerSet: oidc.issuerSet,
    functionUrlAuthType: urlAuth,
    functionUrlAllowedPrincipals: principals,
    domain: { domainName, certificateArn, route53ZoneId: zoneId },
    cors,
  };
}
