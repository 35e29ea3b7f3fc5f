import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api/index.js";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer/index.js";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration/index.js";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route/index.js";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage/index.js";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { TerraformStack } from "cdktf";
import { McpFunction } from "../src/function.js";
import { McpHttpApi, type McpHttpApiProps } from "../src/front-door.js";
import { boolVar, IMAGE, resourcesOf, stringVar, synth, type Json } from "./helpers.js";

function api(
  props: Partial<McpHttpApiProps> = {},
  build?: (s: TerraformStack) => Partial<McpHttpApiProps>,
): string {
  return synth((s) => {
    const fn = new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE });
    new McpHttpApi(s, "api", { name: "mcp", fn, ...props, ...(build ? build(s) : {}) });
  });
}

function routes(out: string): Record<string, Json> {
  return Object.fromEntries(
    resourcesOf(out, "aws_apigatewayv2_route").map((r) => [r.route_key as string, r]),
  );
}

describe("McpHttpApi", () => {
  it("HTTP API with the MCP routes and /health, proxying to the live alias", () => {
    const out = api();
    expect(out).toHaveResourceWithProperties(Apigatewayv2Api, { name: "mcp", protocol_type: "HTTP" });
    expect(out).toHaveResourceWithProperties(Apigatewayv2Integration, {
      integration_type: "AWS_PROXY",
      payload_format_version: "2.0",
      integration_uri: "${aws_lambda_alias.fn_live.invoke_arn}",
      timeout_milliseconds: 30000,
    });
    expect(Object.keys(routes(out)).sort()).toEqual([
      "DELETE /mcp",
      "GET /.well-known/oauth-protected-resource",
      "GET /.well-known/oauth-protected-resource/mcp",
      "GET /health",
      "GET /mcp",
      "POST /",
      "POST /mcp",
    ]);
  });

  it("stage: access logs to its own log group, throttling", () => {
    const out = api({ throttlingBurstLimit: 20, throttlingRateLimit: 7 });
    expect(out).toHaveResourceWithProperties(Apigatewayv2Stage, {
      name: "$default",
      auto_deploy: true,
      default_route_settings: { throttling_burst_limit: 20, throttling_rate_limit: 7 },
      access_log_settings: expect.objectContaining({
        destination_arn: "${aws_cloudwatch_log_group.api_access_logs.arn}",
      }),
    });
    const fmt = JSON.parse(
      resourcesOf(out, "aws_apigatewayv2_stage")[0]!.access_log_settings.format as string,
    );
    expect(fmt).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
  });

  it("permission: API Gateway on the alias, scoped by the API's execution ARN", () => {
    const out = api();
    expect(out).toHaveResourceWithProperties(LambdaPermission, {
      principal: "apigateway.amazonaws.com",
      action: "lambda:InvokeFunction",
      qualifier: "${aws_lambda_alias.fn_live.name}",
      source_arn: "${aws_apigatewayv2_api.api_api.execution_arn}/*/*",
    });
  });

  it('auth "token": routes open at the gateway (the function checks the token), no authorizer', () => {
    const out = api({ authType: "token" });
    expect(out).not.toHaveResource(Apigatewayv2Authorizer);
    expect(routes(out)["POST /mcp"]!.authorization_type).toBe("NONE");
  });

  it('auth "jwt": a JWT authorizer with issuer and audience on every MCP route; /health and RFC 9728 open', () => {
    const out = api({ authType: "jwt", jwtIssuer: "https://issuer.example", jwtAudience: ["client"] });
    expect(out).toHaveResourceWithProperties(Apigatewayv2Authorizer, {
      authorizer_type: "JWT",
      identity_sources: ["$request.header.Authorization"],
      jwt_configuration: { issuer: "https://issuer.example", audience: ["client"] },
    });
    const r = routes(out);
    for (const key of ["POST /mcp", "GET /mcp", "DELETE /mcp", "POST /"]) {
      expect(r[key]).toMatchObject({
        authorization_type: "JWT",
        authorizer_id: "${one(aws_apigatewayv2_authorizer.api_jwt[*].id)}",
      });
    }
    for (const key of [
      "GET /health",
      "GET /.well-known/oauth-protected-resource",
      "GET /.well-known/oauth-protected-resource/mcp",
    ]) {
      expect(r[key]).toMatchObject({ authorization_type: "NONE" });
      expect(r[key]).not.toHaveProperty("authorizer_id");
    }
  });

  it('auth "iam": AWS_IAM on every MCP route', () => {
    const out = api({ authType: "iam" });
    expect(out).not.toHaveResource(Apigatewayv2Authorizer);
    expect(routes(out)["POST /"]!.authorization_type).toBe("AWS_IAM");
    expect(out).toHaveResourceWithProperties(Apigatewayv2Route, {
      route_key: "GET /health",
      authorization_type: "NONE",
    });
  });

  it("auth chosen at plan time: conditional authorizer and authorization type", () => {
    const out = api({}, (s) => ({ authType: stringVar(s, "auth", "token") }));
    expect(resourcesOf(out, "aws_apigatewayv2_authorizer")[0]!.count).toBe('${(var.auth == "jwt") ? 1 : 0}');
    expect(routes(out)["POST /mcp"]!.authorization_type).toBe(
      '${(var.auth == "jwt") ? "JWT" : (var.auth == "iam") ? "AWS_IAM" : "NONE"}',
    );
  });

  it("rejects an unknown auth type", () => {
    expect(() => api({ authType: "basic" })).toThrow(/authType/);
  });

  it("function URL: off by default; AWS_IAM by default when on, on the alias", () => {
    expect(api()).not.toHaveResource(LambdaFunctionUrl);
    const out = api({ createFunctionUrl: true });
    expect(out).toHaveResourceWithProperties(LambdaFunctionUrl, {
      authorization_type: "AWS_IAM",
      qualifier: "${aws_lambda_alias.fn_live.name}",
      invoke_mode: "BUFFERED",
    });
    expect(resourcesOf(out, "aws_lambda_permission")).toHaveLength(1);
  });

  it('function URL "NONE" with token auth: public permissions for calls through the URL only', () => {
    const out = api({ createFunctionUrl: true, functionUrlAuthType: "NONE", authType: "token" });
    expect(out).toHaveResourceWithProperties(LambdaPermission, {
      action: "lambda:InvokeFunctionUrl",
      principal: "*",
      function_url_auth_type: "NONE",
    });
    expect(out).toHaveResourceWithProperties(LambdaPermission, {
      action: "lambda:InvokeFunction",
      principal: "*",
      invoked_via_function_url: true,
    });
    expect(resourcesOf(out, "aws_lambda_permission")).toHaveLength(3);
  });

  it('function URL "NONE" is refused with gateway auth, at synth or at plan time', () => {
    expect(() => api({ createFunctionUrl: true, functionUrlAuthType: "NONE", authType: "jwt" })).toThrow(
      /NONE/,
    );
    const out = api({}, (s) => ({
      authType: stringVar(s, "auth", "token"),
      createFunctionUrl: boolVar(s, "url"),
      functionUrlAuthType: stringVar(s, "url_auth", "AWS_IAM"),
    }));
    const url = resourcesOf(out, "aws_lambda_function_url")[0]!;
    expect(url.count).toBe("${var.url ? 1 : 0}");
    expect(url.lifecycle.precondition[0].condition).toBe(
      '${((var.auth == "token") || (var.url_auth == "AWS_IAM"))}',
    );
  });
});
