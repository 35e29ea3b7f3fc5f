import { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer/index.js";
import { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response/index.js";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration/index.js";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { resourcesOf, stringVar } from "./helpers.js";
import { AUTHORIZER_FN, listVar, MCP_KEYS, OPEN_KEYS, POOL, restApi, routesOf } from "./rest-api-helpers.js";

const STREAM_URI =
  "arn:${data.aws_partition.ctx_partition.partition}:apigateway:${data.aws_region.ctx_region.region}:lambda:path/2021-11-15/functions/${aws_lambda_alias.fn_live.arn}/response-streaming-invocations";

describe("McpRestApi: routes and streaming", () => {
  it("a regional REST API with the HTTP API's routes plus the RFC 9728 metadata paths", () => {
    const out = restApi();
    expect(out).toHaveResourceWithProperties(ApiGatewayRestApi, {
      name: "mcp",
      endpoint_configuration: { types: ["REGIONAL"] },
    });
    expect(Object.keys(routesOf(out)).sort()).toEqual([...MCP_KEYS, ...OPEN_KEYS].sort());
    expect(
      resourcesOf(out, "aws_api_gateway_resource")
        .map((r) => r.path_part)
        .sort(),
    ).toEqual([".well-known", "health", "mcp", "mcp", "oauth-protected-resource"]);
  });

  it("every route: Lambda proxy through InvokeWithResponseStream, STREAM, 15 minutes by default", () => {
    const routes = routesOf(restApi());
    for (const { integration } of Object.values(routes)) {
      expect(integration).toMatchObject({
        type: "AWS_PROXY",
        integration_http_method: "POST",
        uri: STREAM_URI,
        response_transfer_mode: "STREAM",
        timeout_milliseconds: 900000,
      });
    }
  });

  it("integration timeout: passed through, refused outside 50-900000 ms", () => {
    expect(restApi({ integrationTimeoutMilliseconds: 60000 })).toHaveResourceWithProperties(
      ApiGatewayIntegration,
      { timeout_milliseconds: 60000 },
    );
    for (const bad of [49, 900001]) {
      expect(() => restApi({ integrationTimeoutMilliseconds: bad })).toThrow(/50-900000/);
    }
  });

  it("permission: API Gateway may invoke the alias, from this API's stage only", () => {
    expect(restApi({ stageName: "prod" })).toHaveResourceWithProperties(LambdaPermission, {
      principal: "apigateway.amazonaws.com",
      action: "lambda:InvokeFunction",
      qualifier: "${aws_lambda_alias.fn_live.name}",
      source_arn: "${aws_api_gateway_rest_api.api_api.execution_arn}/prod/*/*",
    });
  });
});

describe("McpRestApi: auth", () => {
  const expectOpen = (out: string) => {
    const routes = routesOf(out);
    for (const key of OPEN_KEYS) {
      expect({ key, auth: routes[key]!.method.authorization, id: routes[key]!.method.authorizer_id }).toEqual(
        {
          key,
          auth: "NONE",
          id: undefined,
        },
      );
    }
  };

  it('"token": methods open at the gateway (the function checks the token), no authorizer', () => {
    const out = restApi({ authType: "token" });
    expect(out).not.toHaveResource(ApiGatewayAuthorizer);
    expect(out).not.toHaveResource(ApiGatewayGatewayResponse);
    for (const key of MCP_KEYS) expect(routesOf(out)[key]!.method.authorization).toBe("NONE");
  });

  it('"jwt" with Cognito: a user pool authorizer on every MCP method, scopes when asked; open routes open', () => {
    const out = restApi({
      authType: "jwt",
      cognitoUserPoolArns: [POOL],
      cognitoAuthorizationScopes: ["mcp/call"],
    });
    expect(out).toHaveResourceWithProperties(ApiGatewayAuthorizer, {
      type: "COGNITO_USER_POOLS",
      provider_arns: [POOL],
      identity_source: "method.request.header.Authorization",
    });
    for (const key of MCP_KEYS) {
      expect(routesOf(out)[key]!.method).toMatchObject({
        authorization: "COGNITO_USER_POOLS",
        authorizer_id: "${one(aws_api_gateway_authorizer.api_auth_cognito[*].id)}",
        authorization_scopes: ["mcp/call"],
      });
    }
    expectOpen(out);
  });

  it('"jwt" with a Lambda authorizer: TOKEN authorizer, CUSTOM methods, its own scoped permission', () => {
    const out = restApi({
      authType: "jwt",
      lambdaAuthorizerFunctionArn: AUTHORIZER_FN,
      authorizerResultTtlSeconds: 0,
    });
    expect(out).toHaveResourceWithProperties(ApiGatewayAuthorizer, {
      type: "TOKEN",
      identity_source: "method.request.header.Authorization",
      authorizer_result_ttl_in_seconds: 0,
      authorizer_uri: `arn:\${data.aws_partition.ctx_partition.partition}:apigateway:\${data.aws_region.ctx_region.region}:lambda:path/2015-03-31/functions/${AUTHORIZER_FN}/invocations`,
    });
    expect(out).toHaveResourceWithProperties(LambdaPermission, {
      function_name: AUTHORIZER_FN,
      principal: "apigateway.amazonaws.com",
      statement_id_prefix: "AllowJupyterMcpRestApiAuthorizer-",
      source_arn:
        "${aws_api_gateway_rest_api.api_api.execution_arn}/authorizers/${one(aws_api_gateway_authorizer.api_auth_lambda[*].id)}",
    });
    expect(routesOf(out)["POST /mcp"]!.method).toMatchObject({
      authorization: "CUSTOM",
      authorizer_id: "${one(aws_api_gateway_authorizer.api_auth_lambda[*].id)}",
    });
    expectOpen(out);
  });

  it('"jwt": the gateway\'s 401 points at the RFC 9728 metadata (WWW-Authenticate)', () => {
    const out = restApi({ authType: "jwt", cognitoUserPoolArns: [POOL] });
    expect(out).toHaveResourceWithProperties(ApiGatewayGatewayResponse, {
      response_type: "UNAUTHORIZED",
      status_code: "401",
      response_parameters: {
        "gatewayresponse.header.WWW-Authenticate":
          "'Bearer resource_metadata=\"https://${aws_api_gateway_rest_api.api_api.id}.execute-api.${data.aws_region.ctx_region.region}.${data.aws_partition.api_partition.dns_suffix}/v1/.well-known/oauth-protected-resource/mcp\"'",
      },
    });
  });

  it('"jwt" needs exactly one of Cognito and a Lambda authorizer', () => {
    expect(() => restApi({ authType: "jwt" })).toThrow(/cognito_user_pool_arns or lambda_authorizer/);
    expect(() =>
      restApi({ authType: "jwt", cognitoUserPoolArns: [POOL], lambdaAuthorizerFunctionArn: AUTHORIZER_FN }),
    ).toThrow(/not both/);
  });

  it('"iam": AWS_IAM on every MCP method, no authorizer; open routes open', () => {
    const out = restApi({ authType: "iam" });
    expect(out).not.toHaveResource(ApiGatewayAuthorizer);
    for (const key of MCP_KEYS) expect(routesOf(out)[key]!.method.authorization).toBe("AWS_IAM");
    expectOpen(out);
  });

  it("rejects an unknown auth type", () => {
    expect(() => restApi({ authType: "basic" })).toThrow(/authType/);
  });

  it("auth chosen at plan time: counted authorizers, conditional authorization, a precondition", () => {
    const out = restApi({}, (s) => ({
      authType: stringVar(s, "auth", "token"),
      cognitoUserPoolArns: listVar(s, "pools"),
      lambdaAuthorizerFunctionArn: stringVar(s, "lam"),
    }));
    const [cognito, lambda] = resourcesOf(out, "aws_api_gateway_authorizer");
    expect(cognito!.count).toBe("${local.api_auth_uses_cognito ? 1 : 0}");
    expect(lambda!.count).toBe("${local.api_auth_uses_lambda_authorizer ? 1 : 0}");
    expect(routesOf(out)["POST /mcp"]!.method.authorization).toBe(
      '${(var.auth == "iam") ? "AWS_IAM" : local.api_auth_uses_cognito ? "COGNITO_USER_POOLS" : local.api_auth_uses_lambda_authorizer ? "CUSTOM" : "NONE"}',
    );
    expect(routesOf(out)["GET /health"]!.method.authorization).toBe("NONE");
    const api = resourcesOf(out, "aws_api_gateway_rest_api")[0]!;
    expect(api.lifecycle.precondition[0].error_message).toMatch(
      /cognito_user_pool_arns or lambda_authorizer/,
    );
  });
});
