/**
 * The REST API front door's inputs: auth, the streaming integration's timeout, the stage
 * (throttling, logging, X-Ray, WAF) and tenant isolation.
 */
import {
  AUTH_TYPES,
  optionalString,
  REST_LOGGING_LEVELS,
  REST_TIMEOUT_MS,
  rule,
  type ModuleStack,
} from "@jupyter-mcp/constructs";

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");

export function restAuthVariables(stack: ModuleStack) {
  const authType = stack.variable("auth_type", {
    type: "string",
    default: "token",
    description:
      'How callers authenticate: "token" (bearer token checked by the function, kept in Secrets Manager or SSM), "jwt" (checked by API Gateway: a Cognito user pool authorizer with cognito_user_pool_arns, or your Lambda authorizer with lambda_authorizer_function_arn) or "iam" (SigV4, AWS_IAM method authorization).',
    validation: [
      rule(`contains([${quoted(AUTH_TYPES)}], var.auth_type)`, 'auth_type must be "token", "jwt" or "iam".'),
    ],
  }).stringValue;
  const cognitoUserPoolArns = stack.variable("cognito_user_pool_arns", {
    type: "list(string)",
    default: [],
    description:
      'auth_type "jwt": ARNs of the Cognito user pools whose ID or access tokens are accepted (Authorization: Bearer <token>). The tenant id is the token\'s sub claim.',
    validation: [
      rule(
        'alltrue([for a in var.cognito_user_pool_arns : can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/.+$", a))])',
        "cognito_user_pool_arns must be Cognito user pool ARNs.",
      ),
    ],
  }).listValue;
  const cognitoAuthorizationScopes = stack.variable("cognito_authorization_scopes", {
    type: "list(string)",
    default: [],
    description:
      "With Cognito: OAuth scopes an access token must carry (e.g. a resource server's scope). Empty: ID tokens are accepted.",
  }).listValue;
  const lambdaAuthorizerFunctionArn = optionalString(stack, "lambda_authorizer_function_arn", {
    description:
      'auth_type "jwt" without Cognito: ARN (unqualified) of your Lambda TOKEN authorizer, which gets the Authorization header and returns a policy and a principalId (the caller, and with tenant_isolation the tenant id: 1-256 of A-Z a-z 0-9 . _ : / = + - @ and space). The module lets this API invoke it.',
    pattern: "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$",
    message: "lambda_authorizer_function_arn must be an unqualified Lambda function ARN.",
  });
  const authorizerResultTtlSeconds = stack.variable("authorizer_result_ttl_in_seconds", {
    type: "number",
    default: 300,
    description: "How long API Gateway caches an authorizer's answer for a token (0 disables the cache).",
    validation: [
      rule(
        "var.authorizer_result_ttl_in_seconds >= 0 && var.authorizer_result_ttl_in_seconds <= 3600",
        "authorizer_result_ttl_in_seconds must be between 0 and 3600.",
      ),
    ],
  }).numberValue;
  const oidcIssuer = optionalString(stack, "oidc_issuer", {
    description:
      "auth_type \"jwt\": the issuer the RFC 9728 metadata names as authorization server (/.well-known/oauth-protected-resource[/mcp]), exactly the tokens' iss claim. null: with Cognito, the first user pool's issuer (https://cognito-idp.REGION.amazonaws.com/POOL_ID); with a Lambda authorizer, none (set it for MCP clients to discover your authorization server).",
    pattern: "^https://",
    message: "oidc_issuer must be an https:// URL.",
  });
  return {
    authType,
    oidcIssuer,
    cognitoUserPoolArns,
    cognitoAuthorizationScopes,
    lambdaAuthorizerFunctionArn,
    authorizerResultTtlSeconds,
  };
}

export function restStageVariables(stack: ModuleStack) {
  const integrationTimeoutMilliseconds = stack.variable("integration_timeout_milliseconds", {
    type: "number",
    default: REST_TIMEOUT_MS.max,
    description:
      "How long API Gateway waits for the streamed response, in ms: 50 to 900000 (15 minutes, what response streaming allows without a quota increase).",
    validation: [
      rule(
        `var.integration_timeout_milliseconds >= ${REST_TIMEOUT_MS.min} && var.integration_timeout_milliseconds <= ${REST_TIMEOUT_MS.max}`,
        `integration_timeout_milliseconds must be between ${REST_TIMEOUT_MS.min} and ${REST_TIMEOUT_MS.max}.`,
      ),
    ],
  }).numberValue;
  const stageName = stack.variable("stage_name", {
    type: "string",
    default: "v1",
    description:
      "Name of the stage: the first path segment of the URL (https://ID.execute-api.REGION.amazonaws.com/STAGE/mcp).",
    validation: [
      rule(
        'can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))',
        "stage_name must be 1-128 letters, digits, hyphens or underscores.",
      ),
    ],
  }).stringValue;
  const burst = stack.variable("throttling_burst_limit", {
    type: "number",
    default: 10,
    description: "Stage burst limit for every method (requests).",
    validation: [rule("var.throttling_burst_limit >= 0", "throttling_burst_limit must be 0 or more.")],
  }).numberValue;
  const rate = stack.variable("throttling_rate_limit", {
    type: "number",
    default: 5,
    description: "Stage steady-state rate limit for every method (requests per second).",
    validation: [rule("var.throttling_rate_limit >= 0", "throttling_rate_limit must be 0 or more.")],
  }).numberValue;
  const executionLoggingLevel = stack.variable("execution_logging_level", {
    type: "string",
    default: "OFF",
    description:
      'API Gateway execution logging: "OFF", "ERROR" or "INFO" (request bodies are never logged). Like the access logs, it needs the account\'s API Gateway CloudWatch role (see the README).',
    validation: [
      rule(
        `contains([${quoted(REST_LOGGING_LEVELS)}], var.execution_logging_level)`,
        `execution_logging_level must be one of ${quoted(REST_LOGGING_LEVELS)}.`,
      ),
    ],
  }).stringValue;
  const xrayTracingEnabled = stack.variable("xray_tracing_enabled", {
    type: "bool",
    default: false,
    description: "X-Ray tracing on the stage (the function's own tracing is tracing_mode).",
  }).booleanValue;
  const wafWebAclArn = optionalString(stack, "waf_web_acl_arn", {
    description: "ARN of a regional WAFv2 web ACL to associate with the stage. null: no WAF.",
    pattern: "^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$",
    message: "waf_web_acl_arn must be the ARN of a regional WAFv2 web ACL.",
  });
  const tenantIsolation = stack.variable("tenant_isolation", {
    type: "bool",
    default: false,
    description:
      'Lambda tenant isolation (PER_TENANT): each caller (the authenticated principal) gets execution environments, so a kernel and /tmp, of its own. Needs auth_type "jwt" or "iam" and provisioned_concurrent_executions = 0; changing it replaces the function. See the README.',
  }).booleanValue;
  return {
    integrationTimeoutMilliseconds,
    stageName,
    throttlingBurstLimit: burst,
    throttlingRateLimit: rate,
    executionLoggingLevel,
    xrayTracingEnabled,
    wafWebAclArn,
    tenantIsolation,
  };
}
