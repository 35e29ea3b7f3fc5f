/**
 * The routes both API Gateway front doors serve (front-door.ts, rest-api-routes.ts), and which of
 * them stay open at the gateway. No imports: the policy checks read these too.
 */

/** Routes sent to the function. GET/DELETE /mcp exist so the handler can answer 405 itself. */
export const MCP_ROUTES = ["POST /mcp", "GET /mcp", "DELETE /mcp", "POST /"] as const;
export const HEALTH_ROUTE = "GET /health";

/**
 * RFC 9728 section 3: the protected resource metadata of the server as a whole and of the `/mcp`
 * resource. MCP clients fetch it before they have a token (it names the authorization server), so
 * it must bypass any authorizer; the handler serves it when an OIDC issuer is configured.
 */
export const PROTECTED_RESOURCE_METADATA_ROUTES = [
  "GET /.well-known/oauth-protected-resource",
  "GET /.well-known/oauth-protected-resource/mcp",
] as const;

/** Routes without gateway authorization in every auth mode: they tell nothing about any caller. */
export const OPEN_ROUTES: readonly string[] = [HEALTH_ROUTE, ...PROTECTED_RESOURCE_METADATA_ROUTES];
