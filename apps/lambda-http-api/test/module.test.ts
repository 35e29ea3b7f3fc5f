import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing } from "cdktf";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import { checkInterface, checkPolicies } from "@jupyter-mcp/constructs/policy";
import {
  consoleEval,
  evaluatePreconditions,
  requiringTerraform,
} from "@jupyter-mcp/constructs/terraform-console";
import { describeModuleContract } from "@jupyter-mcp/constructs/module-suite";
import { buildApp, MODULE_NAME } from "../src/stack.js";

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyter-mcp:0123abcd";
const json = moduleJson(buildApp().stack);
const synthesized = Testing.synth(buildApp().stack);
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));

describe(`modules/${MODULE_NAME}`, () => {
  describeModuleContract({
    name: MODULE_NAME,
    testUrl: import.meta.url,
    build: () => buildApp().stack,
    configurations: [
      {},
      {
        auth_type: "jwt",
        jwt_issuer: "https://issuer.example",
        jwt_audience: ["client"],
        create_function_url: true,
      },
      {
        auth_token_ssm_parameter_name: "/mcp/token",
        auth_token_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        create_workspace_bucket: true,
        provisioned_concurrent_executions: 1,
        create_function_url: true,
        function_url_authorization_type: "NONE",
      },
      {
        auth_type: "iam",
        workspace_bucket_name: "shared",
        workspace_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        kernel_preload: "numpy",
        default_timeout_seconds: 5,
      },
    ].map((extra) => ({ ...{ image_uri: IMAGE }, ...extra })),
  });

  it("has no provider or backend configuration, and provider constraints", () => {
    expect(json.provider).toBeUndefined();
    expect(json.terraform).toEqual({
      required_providers: { aws: { source: "hashicorp/aws", version: ">= 6.29" } },
      required_version: ">= 1.5.0",
    });
  });

  it("every variable has a type and a description, every output a description", () => {
    expect(checkInterface(json)).toEqual([]);
    expect(Object.keys(json.variable as object)).toEqual(
      expect.arrayContaining(["function_name", "image_uri", "memory_size", "timeout", "auth_type", "tags"]),
    );
    expect(Object.keys(json.output as object)).toEqual(
      expect.arrayContaining(["mcp_url", "function_name", "function_arn", "role_arn", "log_group_name"]),
    );
  });

  it("passes the Checkov-aligned policy checks", () => {
    expect(checkPolicies(json)).toEqual([]);
  });

  it("wires the variables into the function, the routes and the permission", () => {
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, {
      image_uri: "${var.image_uri}",
      reserved_concurrent_executions: "${var.reserved_concurrent_executions}",
      architectures: ["${var.architecture}"],
    });
    expect(synthesized).toHaveResourceWithProperties(Apigatewayv2Route, {
      route_key: "POST /mcp",
      authorization_type:
        '${(var.auth_type == "jwt") ? "JWT" : (var.auth_type == "iam") ? "AWS_IAM" : "NONE"}',
    });
    expect(synthesized).toHaveResourceWithProperties(Apigatewayv2Route, {
      route_key: "GET /health",
      authorization_type: "NONE",
    });
    expect(synthesized).toHaveResourceWithProperties(LambdaPermission, {
      source_arn: "${aws_apigatewayv2_api.http_api_api.execution_arn}/*/*",
    });
  });

  withTerraform("computes the token source and the environment (terraform console)", () => {
    const exprs = [
      "local.auth_token_create_secret",
      "local.auth_token_uses_secret",
      "local.auth_token_uses_ssm",
      "local.handler_environment",
    ];
    expect(consoleEval(json, exprs, { image_uri: IMAGE })).toMatchObject({
      ok: true,
      values: [true, true, false, {}],
    });
    expect(
      consoleEval(json, exprs, {
        image_uri: IMAGE,
        auth_token_ssm_parameter_name: "/mcp/token",
        kernel_preload: "numpy,pandas",
        default_timeout_seconds: 30,
        environment_variables: { MCP_BASE_PATH: "/x" },
      }).values,
    ).toEqual([
      false,
      false,
      true,
      { KERNEL_PRELOAD: "numpy,pandas", MCP_DEFAULT_TIMEOUT_SECONDS: "30", MCP_BASE_PATH: "/x" },
    ]);
    expect(consoleEval(json, exprs, { image_uri: IMAGE, auth_type: "jwt" }).values.slice(0, 3)).toEqual([
      false,
      false,
      false,
    ]);
  });

  withTerraform("workspace bucket: none by default, created or given (terraform console)", () => {
    const exprs = ["local.workspace_enabled", "local.workspace_create_bucket"];
    expect(consoleEval(json, exprs, { image_uri: IMAGE }).values).toEqual([false, false]);
    expect(consoleEval(json, exprs, { image_uri: IMAGE, create_workspace_bucket: true }).values).toEqual([
      true,
      true,
    ]);
    expect(
      consoleEval(json, exprs, {
        image_uri: IMAGE,
        create_workspace_bucket: true,
        workspace_bucket_name: "shared",
      }).values,
    ).toEqual([true, false]);
  });

  withTerraform("refuses invalid inputs (variable validations)", () => {
    const bad: Record<string, unknown>[] = [
      { image_uri: "docker.io/library/python:3" },
      { image_uri: IMAGE, auth_type: "basic" },
      { image_uri: IMAGE, memory_size: 128 },
      { image_uri: IMAGE, function_url_authorization_type: "OPEN" },
      { image_uri: IMAGE, cloudwatch_logs_retention_in_days: 2 },
      { image_uri: IMAGE, kernel_preload: "numpy, pandas" },
      { image_uri: IMAGE, reserved_concurrent_executions: 0 },
      { image_uri: IMAGE, workspace_prefix: "/abs/" },
      { image_uri: IMAGE, workspace_prefix: "no-slash" },
    ];
    for (const values of bad) {
      expect({ values, ok: consoleEval(json, ["true"], values).ok }).toEqual({ values, ok: false });
    }
    expect(
      consoleEval(json, ["true"], { image_uri: `${IMAGE.split(":")[0]}@sha256:${"a".repeat(64)}` }).ok,
    ).toBe(true);
  });
  withTerraform("preconditions refuse inconsistent combinations (terraform console)", () => {
    for (const extra of [
      {
        auth_type: "jwt",
        jwt_issuer: "https://issuer.example",
        jwt_audience: ["a"],
        create_function_url: true,
        function_url_authorization_type: "NONE",
      },
      { auth_type: "jwt" },
      { provisioned_concurrent_executions: 2 },
    ]) {
      const values = { ...{ image_uri: IMAGE }, ...extra };
      expect({ values, refused: evaluatePreconditions(json, values).some((p) => p.holds === false) }).toEqual(
        {
          values,
          refused: true,
        },
      );
    }
  });
});
