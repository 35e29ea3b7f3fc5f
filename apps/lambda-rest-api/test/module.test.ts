import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing } from "cdktf";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration/index.js";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage/index.js";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import { checkInterface, checkPolicies } from "@jupyter-mcp/constructs/policy";
import { checkRestApiPolicies } from "@jupyter-mcp/constructs/rest-api-policy";
import {
  consoleEval,
  evaluatePreconditions,
  requiringTerraform,
  withLocals,
} from "@jupyter-mcp/constructs/terraform-console";
import {
  describeModuleContract,
  expectConsoleCases,
  type ConsoleCase,
} from "@jupyter-mcp/constructs/module-suite";
import { buildApp, MODULE_NAME } from "../src/stack.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyter-mcp:0123abcd";
const POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc";
const AUTHORIZER = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer";
const WAF = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/mcp/0000";
const json = moduleJson(buildApp().stack);
const synthesized = Testing.synth(buildApp().stack);
const res = json.resource as Json;
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));
const refused = (values: Record<string, unknown>) =>
  evaluatePreconditions(json, { image_uri: IMAGE, ...values }).some((p) => p.holds === false);

describe(`modules/${MODULE_NAME}`, () => {
  describeModuleContract({
    name: MODULE_NAME,
    testUrl: import.meta.url,
    build: () => buildApp().stack,
    configurations: [
      { image_uri: IMAGE },
      {
        image_uri: IMAGE,
        auth_type: "jwt",
        cognito_user_pool_arns: [POOL],
        cognito_authorization_scopes: ["mcp/tools"],
        tenant_isolation: true,
      },
      {
        image_uri: IMAGE,
        auth_type: "jwt",
        lambda_authorizer_function_arn: AUTHORIZER,
        oidc_issuer: "https://idp.example/",
      },
      {
        image_uri: IMAGE,
        auth_type: "jwt",
        lambda_authorizer_function_arn: AUTHORIZER,
        authorizer_result_ttl_in_seconds: 0,
        tenant_isolation: true,
        waf_web_acl_arn: WAF,
        create_workspace_bucket: true,
      },
      {
        image_uri: IMAGE,
        auth_type: "iam",
        tenant_isolation: true,
        integration_timeout_milliseconds: 60000,
        execution_logging_level: "ERROR",
        xray_tracing_enabled: true,
        stage_name: "prod",
      },
      { image_uri: IMAGE, provisioned_concurrent_executions: 1, auth_token_ssm_parameter_name: "/mcp/token" },
    ],
  });

  it("passes the policy checks (Checkov-aligned, and the REST API's) and the interface checks", () => {
    expect(checkPolicies(json)).toEqual([]);
    expect(checkRestApiPolicies(json)).toEqual([]);
    expect(checkInterface(json)).toEqual([]);
  });

  it("streams every route through InvokeWithResponseStream, with the timeout variable", () => {
    const integrations = Object.values(res.aws_api_gateway_integration as Json);
    expect(integrations).toHaveLength(7);
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayIntegration, {
      type: "AWS_PROXY",
      response_transfer_mode: "STREAM",
      timeout_milliseconds: "${var.integration_timeout_milliseconds}",
      uri: "arn:${data.aws_partition.context_partition.partition}:apigateway:${data.aws_region.context_region.region}:lambda:path/2021-11-15/functions/${aws_lambda_alias.lambda_live.arn}/response-streaming-invocations",
    });
    expect((json.variable as Json).integration_timeout_milliseconds.default).toBe(900000);
  });

  it("stage: access logs, throttling and logging variables, X-Ray variable, WAF only when given", () => {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayStage, {
      stage_name: "${var.stage_name}",
      xray_tracing_enabled: "${var.xray_tracing_enabled}",
    });
    const settings = (Object.values(res.aws_api_gateway_method_settings as Json)[0] as Json).settings;
    expect(settings).toMatchObject({
      throttling_burst_limit: "${var.throttling_burst_limit}",
      throttling_rate_limit: "${var.throttling_rate_limit}",
      logging_level: "${var.execution_logging_level}",
      data_trace_enabled: false,
    });
    const waf = res.aws_wafv2_web_acl_association.rest_api_stage_waf;
    expect(waf.count).toBe("${(length(compact([var.waf_web_acl_arn])) >= 1) ? 1 : 0}");
    expect((json.variable as Json).waf_web_acl_arn.default).toBeNull();
  });

  withTerraform("refuses invalid inputs (variable validations)", () => {
    const bad: Record<string, unknown>[] = [
      { auth_type: "cognito" },
      { integration_timeout_milliseconds: 49 },
      { integration_timeout_milliseconds: 900001 },
      { execution_logging_level: "DEBUG" },
      { waf_web_acl_arn: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y" },
      { lambda_authorizer_function_arn: `${AUTHORIZER}:live` },
      { cognito_user_pool_arns: ["eu-west-1_abc"] },
      { authorizer_result_ttl_in_seconds: 3601 },
      { stage_name: "a/b" },
    ];
    for (const values of bad) {
      const v = { image_uri: IMAGE, ...values };
      expect({ v, ok: consoleEval(json, ["true"], v).ok }).toEqual({ v, ok: false });
    }
    for (const ok of [
      { integration_timeout_milliseconds: 50 },
      { waf_web_acl_arn: WAF },
      { waf_web_acl_arn: null },
    ]) {
      expect(consoleEval(json, ["true"], { image_uri: IMAGE, ...ok }).ok).toBe(true);
    }
  });

  withTerraform("preconditions refuse inconsistent combinations (terraform console)", () => {
    expect(refused({ tenant_isolation: true })).toBe(true); // token auth: no principal at the gateway
    expect(refused({ auth_type: "iam", tenant_isolation: true, provisioned_concurrent_executions: 1 })).toBe(
      true,
    );
    expect(refused({ auth_type: "jwt" })).toBe(true);
    expect(
      refused({
        auth_type: "jwt",
        cognito_user_pool_arns: [POOL],
        lambda_authorizer_function_arn: AUTHORIZER,
      }),
    ).toBe(true);
    expect(refused({ auth_type: "iam", tenant_isolation: true })).toBe(false);
    expect(
      refused({ auth_type: "jwt", lambda_authorizer_function_arn: AUTHORIZER, tenant_isolation: true }),
    ).toBe(false);
  });

  withTerraform(
    "tenant isolation: tenancy_config, tenant header and environment only when on (terraform console)",
    () => {
      const fn = res.aws_lambda_function.lambda_function;
      const mcp = res.aws_api_gateway_integration.rest_api_integration_post_mcp;
      const health = res.aws_api_gateway_integration.rest_api_integration_get_health;
      const probe = withLocals(json, {
        probe_tenancy: fn.dynamic.tenancy_config.for_each,
        probe_mcp: mcp.request_parameters,
        probe_health: health.request_parameters,
        probe_env: fn.environment.variables,
      });
      const exprs = [
        "length(local.probe_tenancy)",
        "local.probe_mcp",
        "local.probe_health",
        'lookup(local.probe_env, "MCP_TENANT_ISOLATION", null)',
      ];
      const header = "integration.request.header.X-Amz-Tenant-Id";
      const open = { [header]: "'jupyter-mcp-unauthenticated'" };
      const cases: ConsoleCase[] = [
        [{ auth_type: "iam" }, [0, null, null, null]],
        [
          { auth_type: "iam", tenant_isolation: true },
          [1, { [header]: "context.identity.userArn" }, open, "PER_TENANT"],
        ],
        [
          { auth_type: "jwt", cognito_user_pool_arns: [POOL], tenant_isolation: true },
          [1, { [header]: "context.authorizer.claims.sub" }, open, "PER_TENANT"],
        ],
        [
          { auth_type: "jwt", lambda_authorizer_function_arn: AUTHORIZER, tenant_isolation: true },
          [1, { [header]: "context.authorizer.principalId" }, open, "PER_TENANT"],
        ],
      ];
      expectConsoleCases(probe, exprs, cases, { image_uri: IMAGE });
    },
  );

  withTerraform(
    "the handler streams, and with jwt knows the issuer and the stage URL (terraform console)",
    () => {
      const probe = withLocals(json, {
        probe_env: res.aws_lambda_function.lambda_function.environment.variables,
      });
      const exprs = [
        "MCP_LAMBDA_STREAMING",
        "MCP_OIDC_ISSUER",
        "MCP_JWT_VALIDATION",
        "MCP_OIDC_SCOPES",
        "MCP_PUBLIC_URL",
      ].map((name) => `lookup(local.probe_env, "${name}", null)`);
      const dns = "<data.aws_partition.rest_api_partition.dns_suffix>";
      const stageUrl = `https://<aws_api_gateway_rest_api.rest_api_api.id>.execute-api.<data.aws_region.context_region.region>.${dns}/v1`;
      const cases: ConsoleCase[] = [
        [{}, ["1", null, null, null, null]],
        [{ auth_type: "iam" }, ["1", null, null, null, null]],
        [
          { auth_type: "jwt", cognito_user_pool_arns: [POOL], cognito_authorization_scopes: ["mcp/tools"] },
          ["1", `https://cognito-idp.eu-west-1.${dns}/eu-west-1_abc`, "front-door", "mcp/tools", stageUrl],
        ],
        [{ auth_type: "jwt", lambda_authorizer_function_arn: AUTHORIZER }, ["1", null, null, null, null]],
        [
          {
            auth_type: "jwt",
            lambda_authorizer_function_arn: AUTHORIZER,
            oidc_issuer: "https://idp.example/",
          },
          ["1", "https://idp.example/", "front-door", null, stageUrl],
        ],
      ];
      expectConsoleCases(probe, exprs, cases, { image_uri: IMAGE });
      expect(refused({ oidc_issuer: "https://idp.example/" })).toBe(true);
      expect(consoleEval(json, ["true"], { image_uri: IMAGE, oidc_issuer: "http://idp.example/" }).ok).toBe(
        false,
      );
    },
  );

  withTerraform("auth: authorizers and method authorization per auth_type (terraform console)", () => {
    const method = res.aws_api_gateway_method.rest_api_method_post_mcp;
    const probe = withLocals(json, { probe_auth: method.authorization });
    const exprs = [
      "local.probe_auth",
      "local.rest_api_auth_uses_cognito",
      "local.rest_api_auth_uses_lambda_authorizer",
    ];
    const cases: ConsoleCase[] = [
      [{}, ["NONE", false, false]],
      [{ auth_type: "iam" }, ["AWS_IAM", false, false]],
      [{ auth_type: "jwt", cognito_user_pool_arns: [POOL] }, ["COGNITO_USER_POOLS", true, false]],
      [{ auth_type: "jwt", lambda_authorizer_function_arn: AUTHORIZER }, ["CUSTOM", false, true]],
    ];
    expectConsoleCases(probe, exprs, cases, { image_uri: IMAGE });
    expect(res.aws_api_gateway_method.rest_api_method_get_health.authorization).toBe("NONE");
  });
});
