import { checkTenant, principalOf } from "../src/lambda-tenant.js";

// Tenant isolation (PER_TENANT): the tenant id Lambda hands the environment must name the caller the
// authorizer established; the REST API's open routes share one fixed tenant that runs no code.
const rules = { isolated: true, openRouteTenant: "jupyter-mcp-unauthenticated" };

test("the principal of each identity form", () => {
  expect(principalOf("jwt:https://idp.example.com/pool|alice")).toBe("alice");
  expect(principalOf("iam:arn:aws:iam::123456789012:user/bob")).toBe("arn:aws:iam::123456789012:user/bob");
  expect(principalOf("lambda:carol")).toBe("carol");
  expect(principalOf(undefined)).toBeUndefined();
});

test("a tenant that names the caller is served; another caller's tenant is refused", async () => {
  expect(checkTenant("alice", "jwt:https://idp|alice", "/mcp", rules)).toBeUndefined();
  const refused = checkTenant("alice", "jwt:https://idp|mallory", "/mcp", rules);
  expect(refused?.status).toBe(403);
  expect(((await refused!.json()) as { error: string }).error).toBe("tenant_mismatch");
});

test("the open routes' tenant serves /health and the OAuth metadata only", () => {
  const open = "jupyter-mcp-unauthenticated";
  expect(checkTenant(open, undefined, "/health", rules)).toBeUndefined();
  expect(checkTenant(open, undefined, "/.well-known/oauth-protected-resource/mcp", rules)).toBeUndefined();
  expect(checkTenant(open, undefined, "/mcp", rules)?.status).toBe(403);
  // Not even a caller that claims it: nobody's code runs in the shared environment.
  expect(checkTenant(open, "lambda:jupyter-mcp-unauthenticated", "/mcp", rules)?.status).toBe(403);
});

test("isolation on but no tenant id is refused; isolation off without one is served", () => {
  expect(checkTenant(undefined, "lambda:alice", "/mcp", rules)?.status).toBe(403);
  expect(
    checkTenant(undefined, "lambda:alice", "/mcp", { isolated: false, openRouteTenant: undefined }),
  ).toBeUndefined();
});
