/**
 * The REST API's routes and resource tree, and where the Lambda tenant id of each call comes from.
 *
 * The routes are the HTTP API's (routes.ts): the MCP routes, /health and the two RFC 9728 protected
 * resource metadata paths, which MCP clients fetch before they have a token and so are open.
 */
import { Construct } from "constructs";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource/index.js";
import { MCP_ROUTES, OPEN_ROUTES } from "./routes.js";

export { PROTECTED_RESOURCE_METADATA_ROUTES } from "./routes.js";

/** Routes without gateway authorization: they tell nothing about any caller. */
export const REST_OPEN_ROUTES: readonly string[] = OPEN_ROUTES;

/** Every route of the REST API, MCP routes first. */
export const REST_ROUTES: readonly string[] = [...MCP_ROUTES, ...REST_OPEN_ROUTES];

/**
 * The integration request header Lambda reads the tenant id from. API Gateway calls Lambda's
 * Invoke API, which takes the tenant in `X-Amz-Tenant-Id`; only a REST API can set it, through a
 * parameter mapping ("Invoking functions with tenant isolation (API Gateway)",
 * https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html).
 */
export const TENANT_HEADER = "integration.request.header.X-Amz-Tenant-Id";

/**
 * Where the tenant id comes from, per authenticated principal: always a `context.*` variable that
 * the gateway fills in after authentication, never `method.request.*` (a header, query string or
 * path the client writes). The AWS example maps a client header; that would let any caller pick
 * any tenant's environment. Sources: "Parameter mapping source reference for REST APIs"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping-sources.html)
 * and "Variables for data transformations"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html).
 * They are the fields packages/handler's identity.ts reads for the same caller, so the handler can
 * check that the tenant and the caller agree.
 */
export const TENANT_SOURCES = {
  /** SigV4 (AWS_IAM): the caller's ARN (for a role session: arn:…:sts::ACCOUNT:assumed-role/ROLE/SESSION). */
  iam: "context.identity.userArn",
  /** Cognito user pool authorizer: the user's `sub` claim. */
  cognito: "context.authorizer.claims.sub",
  /** Lambda (TOKEN) authorizer: the principalId it returns. */
  lambda: "context.authorizer.principalId",
} as const;

/**
 * The tenant of the open routes. With tenant isolation every invoke needs a tenant id, and the open
 * routes have no principal, so they share this fixed one (a static mapping value, in single quotes).
 * Nothing caller-specific runs there; a Lambda authorizer must never return it as a principalId,
 * and the handler should refuse MCP calls under it (MCP_UNAUTHENTICATED_TENANT_ID).
 */
export const OPEN_ROUTE_TENANT = "jupyter-mcp-unauthenticated";

export interface RouteKey {
  readonly method: string;
  /** "/" or "/a/b". */
  readonly path: string;
}

export function parseRoute(routeKey: string): RouteKey {
  const [method, path] = routeKey.split(" ");
  if (!method || !path?.startsWith("/")) throw new Error(`bad route key ${routeKey}`);
  return { method, path };
}

/** A construct-id fragment for a path or route: "/.well-known/x" -> "well-known-x". */
export function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "root"
  );
}

/**
 * The resources (path parts) under the API's root for these routes; returns the resource id of
 * each path ("/" is the root resource).
 */
export function resourceTree(
  scope: Construct,
  restApiId: string,
  rootResourceId: string,
  routes: readonly string[],
): { ids: Map<string, string>; resources: ApiGatewayResource[] } {
  const ids = new Map<string, string>([["/", rootResourceId]]);
  const resources: ApiGatewayResource[] = [];
  for (const { path } of routes.map(parseRoute)) {
    let current = "";
    for (const part of path.split("/").filter((p) => p !== "")) {
      const parent = current === "" ? "/" : current;
      current = `${current}/${part}`;
      if (ids.has(current)) continue;
      const resource = new ApiGatewayResource(scope, `resource-${slug(current)}`, {
        restApiId,
        parentId: ids.get(parent)!,
        pathPart: part,
      });
      ids.set(current, resource.id);
      resources.push(resource);
    }
  }
  return { ids, resources };
}
