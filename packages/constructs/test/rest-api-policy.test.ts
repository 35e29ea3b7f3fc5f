import { AuthToken } from "../src/auth-token.js";
import { McpFunction } from "../src/function.js";
import { checkPolicies } from "../src/policy.js";
import { checkRestApiPolicies } from "../src/rest-api-policy.js";
import { McpRestApi, type McpRestApiProps } from "../src/rest-api.js";
import { McpWorkspace } from "../src/workspace.js";
import { boolVar, IMAGE, parse, stringVar, synth, type Json } from "./helpers.js";
import { AUTHORIZER_FN, listVar, POOL } from "./rest-api-helpers.js";

type Auth = Partial<
  Pick<McpRestApiProps, "authType" | "cognitoUserPoolArns" | "lambdaAuthorizerFunctionArn">
>;

/** Function (token, workspace) + REST API, all checks (policy.ts's and the REST API's). */
function findings(auth: Auth, tenantIsolation: boolean, waf?: string): string[] {
  const json = parse(
    synth((s, context) => {
      const authToken = new AuthToken(s, "tok", { name: "mcp", context });
      const workspace = new McpWorkspace(s, "ws", { name: "mcp", create: true, context });
      const fn = new McpFunction(s, "fn", {
        functionName: "mcp",
        imageUri: IMAGE,
        authToken,
        workspace,
        tenantIsolation,
        context,
      });
      new McpRestApi(s, "api", { name: "mcp", fn, context, ...auth, tenantIsolation, wafWebAclArn: waf });
    }),
  );
  const tokenAuthRoutes = (auth.authType ?? "token") === "token";
  return [
    ...checkPolicies(json, { tokenAuthRoutes }),
    ...checkRestApiPolicies(json, { tokenAuthRoutes }),
  ].map((f) => `${f.check} ${f.address}`);
}

describe("policy checks on the REST API front door", () => {
  it.each([
    ["token", { authType: "token" }, false],
    ["cognito + tenant isolation + WAF", { authType: "jwt", cognitoUserPoolArns: [POOL] }, true],
    [
      "lambda authorizer + tenant isolation",
      { authType: "jwt", lambdaAuthorizerFunctionArn: AUTHORIZER_FN },
      true,
    ],
    ["iam + tenant isolation", { authType: "iam" }, true],
  ])("%s: no findings", (label, auth, tenant) => {
    const waf = label.includes("WAF")
      ? "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/a/b"
      : undefined;
    expect(findings(auth as Auth, tenant as boolean, waf)).toEqual([]);
  });

  it("plan-time options: no findings either", () => {
    const json = parse(
      synth((s, context) => {
        const tenantIsolation = boolVar(s, "tenant");
        const fn = new McpFunction(s, "fn", {
          functionName: "mcp",
          imageUri: IMAGE,
          tenantIsolation,
          context,
        });
        new McpRestApi(s, "api", {
          name: "mcp",
          fn,
          context,
          authType: stringVar(s, "auth", "token"),
          cognitoUserPoolArns: listVar(s, "pools"),
          lambdaAuthorizerFunctionArn: stringVar(s, "lam"),
          tenantIsolation,
          wafWebAclArn: stringVar(s, "waf"),
        });
      }),
    );
    expect([...checkPolicies(json), ...checkRestApiPolicies(json)]).toEqual([]);
  });
});

describe("REST API policy checks catch what they are for", () => {
  const checks = (resource: Json, options = {}) =>
    checkRestApiPolicies({ resource }, options).map((f) => f.check);
  const root = "${aws_api_gateway_rest_api.a.root_resource_id}";
  const tree = {
    health: { path_part: "health", parent_id: root },
    mcp: { path_part: "mcp", parent_id: root },
  };

  it("stage access logs (CKV_AWS_76), a logging level (CKV2_AWS_4)", () => {
    expect(checks({ aws_api_gateway_stage: { s: { stage_name: "v1" } } })).toEqual([
      "CKV_AWS_76",
      "CKV2_AWS_4",
    ]);
    const logged = { access_log_settings: { destination_arn: "x", format: "{}" } };
    const settings = {
      stage_name: "${aws_api_gateway_stage.s.stage_name}",
      settings: { logging_level: "OFF" },
    };
    expect(
      checks({ aws_api_gateway_stage: { s: logged }, aws_api_gateway_method_settings: { m: settings } }),
    ).toEqual([]);
  });

  it("deployments created before destroyed (CKV_AWS_217)", () => {
    expect(checks({ aws_api_gateway_deployment: { d: {} } })).toEqual(["CKV_AWS_217"]);
    expect(
      checks({ aws_api_gateway_deployment: { d: { lifecycle: { create_before_destroy: true } } } }),
    ).toEqual([]);
  });

  it("method authorization (CKV_AWS_59): /health open, MCP methods authorized unless token auth", () => {
    const methods = {
      open: {
        http_method: "GET",
        resource_id: "${aws_api_gateway_resource.health.id}",
        authorization: "NONE",
      },
      mcp: { http_method: "POST", resource_id: "${aws_api_gateway_resource.mcp.id}", authorization: "NONE" },
      root: { http_method: "POST", resource_id: root, authorization: "CUSTOM" },
    };
    const found = checkRestApiPolicies({
      resource: { aws_api_gateway_resource: tree, aws_api_gateway_method: methods },
    });
    expect(found.map((f) => f.address)).toEqual(["aws_api_gateway_method.mcp"]);
    expect(
      checks({ aws_api_gateway_resource: tree, aws_api_gateway_method: methods }, { tokenAuthRoutes: true }),
    ).toEqual([]);
    // POST on /health is not the open route.
    const post = { p: { ...methods.open, http_method: "POST" } };
    expect(checks({ aws_api_gateway_resource: tree, aws_api_gateway_method: post })).toEqual(["CKV_AWS_59"]);
  });

  it("the tenant id never comes from the client (TENANT_FROM_CLIENT)", () => {
    const integration = (source: unknown) => ({
      aws_api_gateway_integration: {
        i: {
          uri: "x/response-streaming-invocations",
          response_transfer_mode: "STREAM",
          request_parameters: source,
        },
      },
    });
    const header = "integration.request.header.X-Amz-Tenant-Id";
    for (const bad of [
      "method.request.header.x-tenant-id",
      "method.request.querystring.t",
      "stageVariables.t",
      "x",
    ]) {
      expect(checks(integration({ [header]: bad }))).toEqual(["TENANT_FROM_CLIENT"]);
    }
    expect(checks(integration(`\${var.t ? {"${header}" = "method.request.path.t"} : null}`))).toEqual([
      "TENANT_FROM_CLIENT",
    ]);
    for (const good of ["context.authorizer.principalId", "context.identity.userArn", "'fixed'"]) {
      expect(checks(integration({ [header]: good }))).toEqual([]);
    }
    const declared = {
      aws_api_gateway_method: {
        m: {
          authorization: "AWS_IAM",
          request_parameters: { "method.request.header.X-Amz-Tenant-Id": true },
        },
      },
    };
    expect(checks(declared)).toEqual(["TENANT_FROM_CLIENT"]);
  });

  it("streaming URI and transfer mode agree (REST_STREAM_MODE)", () => {
    const i = (uri: string, mode?: string) => ({
      aws_api_gateway_integration: { i: { uri, response_transfer_mode: mode } },
    });
    expect(checks(i("a/2021-11-15/functions/f/response-streaming-invocations"))).toEqual([
      "REST_STREAM_MODE",
    ]);
    expect(checks(i("a/2015-03-31/functions/f/invocations", "STREAM"))).toEqual(["REST_STREAM_MODE"]);
    expect(checks(i("a/2015-03-31/functions/f/invocations"))).toEqual([]);
  });
});
