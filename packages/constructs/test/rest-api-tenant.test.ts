import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { McpFunction } from "../src/function.js";
import { OPEN_ROUTE_TENANT, TENANT_HEADER, TENANT_SOURCES } from "../src/rest-api-routes.js";
import { boolVar, IMAGE, resourcesOf, stringVar, synth, type Json } from "./helpers.js";
import { AUTHORIZER_FN, MCP_KEYS, OPEN_KEYS, POOL, restApi, routesOf } from "./rest-api-helpers.js";

const tenantOf = (integration: Json) => (integration.request_parameters ?? {})[TENANT_HEADER] as unknown;

/** No method declares request parameters, and no integration maps anything the client sends. */
function expectNothingFromTheClient(out: string): void {
  for (const m of resourcesOf(out, "aws_api_gateway_method")) expect(m.request_parameters).toBeUndefined();
  for (const i of resourcesOf(out, "aws_api_gateway_integration")) {
    expect(JSON.stringify(i.request_parameters ?? null)).not.toMatch(/method\.request\.|stageVariables\./);
  }
}

describe("tenant isolation: X-Amz-Tenant-Id from the authenticated principal only", () => {
  it.each([
    ["iam", { authType: "iam" }, TENANT_SOURCES.iam, "context.identity.userArn"],
    [
      "cognito",
      { authType: "jwt", cognitoUserPoolArns: [POOL] },
      TENANT_SOURCES.cognito,
      "context.authorizer.claims.sub",
    ],
    [
      "lambda authorizer",
      { authType: "jwt", lambdaAuthorizerFunctionArn: AUTHORIZER_FN },
      TENANT_SOURCES.lambda,
      "context.authorizer.principalId",
    ],
  ])("%s: MCP routes map %s; open routes a fixed tenant", (_label, auth, source, literal) => {
    expect(source).toBe(literal);
    const out = restApi({ ...auth, tenantIsolation: true });
    const routes = routesOf(out);
    for (const key of MCP_KEYS) expect(tenantOf(routes[key]!.integration)).toBe(literal);
    for (const key of OPEN_KEYS) expect(tenantOf(routes[key]!.integration)).toBe(`'${OPEN_ROUTE_TENANT}'`);
    expectNothingFromTheClient(out);
  });

  it("off (default): no request parameters at all, and the function has no tenancy_config", () => {
    const out = restApi({ authType: "iam" });
    for (const i of resourcesOf(out, "aws_api_gateway_integration"))
      expect(i.request_parameters).toBeUndefined();
    const fn = resourcesOf(out, "aws_lambda_function")[0]!;
    expect(fn.tenancy_config).toBeUndefined();
    expect(fn.dynamic).toBeUndefined();
  });

  it("on: the function is created with tenancy_config PER_TENANT", () => {
    expect(restApi({ authType: "iam", tenantIsolation: true })).toHaveResourceWithProperties(LambdaFunction, {
      tenancy_config: { tenant_isolation_mode: "PER_TENANT" },
    });
  });

  it('refused with auth "token": the gateway authenticated no principal', () => {
    expect(() => restApi({ authType: "token", tenantIsolation: true })).toThrow(/tenant_isolation needs/);
  });

  // (No Cognito pools given: the Lambda authorizer's principal is the only JWT source left.)
  it("at plan time: a dynamic tenancy_config, conditional mappings, a precondition against token auth", () => {
    const out = restApi({}, (s) => ({
      authType: stringVar(s, "auth", "iam"),
      tenantIsolation: boolVar(s, "tenant"),
    }));
    const fn = resourcesOf(out, "aws_lambda_function")[0]!;
    expect(fn.tenancy_config).toBeUndefined();
    expect(fn.dynamic.tenancy_config).toEqual({
      for_each: "${var.tenant ? [1] : []}",
      content: { tenant_isolation_mode: "PER_TENANT" },
    });
    const routes = routesOf(out);
    expect(routes["POST /mcp"]!.integration.request_parameters).toBe(
      `\${var.tenant ? {"${TENANT_HEADER}" = (var.auth == "iam") ? "${TENANT_SOURCES.iam}" : "${TENANT_SOURCES.lambda}"} : null}`,
    );
    expect(routes["GET /health"]!.integration.request_parameters).toBe(
      `\${var.tenant ? {"${TENANT_HEADER}" = "'${OPEN_ROUTE_TENANT}'"} : null}`,
    );
    expectNothingFromTheClient(out);
    const pre = resourcesOf(out, "aws_api_gateway_rest_api")[0]!.lifecycle.precondition as Json[];
    expect(pre.find((p) => /tenant_isolation/.test(p.error_message))!.condition).toBe(
      '${!(var.tenant && (var.auth == "token"))}',
    );
  });

  it("McpFunction alone: tenancy_config only when asked", () => {
    const fn = (tenantIsolation?: boolean) =>
      resourcesOf(
        synth(
          (s) => void new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, tenantIsolation }),
        ),
        "aws_lambda_function",
      )[0]!;
    expect(fn().tenancy_config).toBeUndefined();
    expect(fn(false).tenancy_config).toBeUndefined();
    expect(fn(true).tenancy_config).toEqual({ tenant_isolation_mode: "PER_TENANT" });
  });
});
