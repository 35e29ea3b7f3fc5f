/**
 * The inputs added for platform teams (terraform-aws-modules names) and the plan-time checks that
 * stop what Lambda, S3 or API Gateway would refuse at apply: over the synthesized module, with
 * `terraform console` for the validations and preconditions.
 */
import type {} from "cdktf/lib/testing/adapters/jest.js";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import { checkPolicies } from "@jupyter-mcp/constructs/policy";
import {
  consoleEval,
  evaluatePreconditions,
  requiringTerraform,
  withLocals,
} from "@jupyter-mcp/constructs/terraform-console";
import { buildApp } from "../src/stack.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyter-mcp:0123abcd";
const json = moduleJson(buildApp().stack) as Json;
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));
const resource = (type: string, name: string): Json => json.resource[type][name];
const refused = (values: Record<string, unknown>) =>
  evaluatePreconditions(json, { image_uri: IMAGE, ...values })
    .filter((p) => p.holds === false)
    .map((p) => p.address);

describe("modules/lambda-http-api: platform inputs", () => {
  it('declares the terraform-aws-modules inputs, unset (null) by default; optional ARNs null, not ""', () => {
    const vars = json.variable as Record<string, { default?: unknown; type: string }>;
    for (const name of [
      "vpc_subnet_ids",
      "vpc_security_group_ids",
      "kms_key_arn",
      "tracing_mode",
      "lambda_role",
      "role_permissions_boundary",
      "logging_application_log_level",
      "logging_system_log_level",
      "domain_name",
      "domain_name_certificate_arn",
      "route53_zone_id",
      "cors_configuration",
      "workspace_bucket_prefix",
      "auth_token_secret_arn",
      "auth_token_ssm_parameter_name",
      "auth_token_kms_key_arn",
      "cloudwatch_logs_kms_key_id",
      "workspace_bucket_name",
      "workspace_kms_key_arn",
      "jwt_issuer",
    ]) {
      expect({ name, default: vars[name]?.default }).toEqual({ name, default: null });
    }
    expect(vars.create_role!.default).toBe(true);
    expect(vars.logging_log_format!.default).toBe("JSON");
    expect(vars.function_url_allowed_principals!.default).toEqual([]);
    expect(Object.values(vars).filter((v) => v.default === "")).toEqual([]);
  });

  it("wires them into the function, the role, the API and the function URL", () => {
    const fn = resource("aws_lambda_function", "lambda_function");
    expect(fn.kms_key_arn).toBe("${(length(compact([var.kms_key_arn])) >= 1) ? var.kms_key_arn : null}");
    expect(fn.tracing_config).toEqual({ mode: '${coalesce(var.tracing_mode, "PassThrough")}' });
    expect(fn.logging_config).toMatchObject({
      log_format: "${var.logging_log_format}",
      application_log_level: "${var.logging_application_log_level}",
      system_log_level: "${var.logging_system_log_level}",
    });
    expect(fn.dynamic.vpc_config.content).toEqual({
      subnet_ids: "${var.vpc_subnet_ids}",
      security_group_ids: "${var.vpc_security_group_ids}",
    });
    expect(fn.role).toBe("${var.create_role ? one(aws_iam_role.lambda_role[*].arn) : var.lambda_role}");
    expect(resource("aws_iam_role", "lambda_role")).toMatchObject({
      count: "${var.create_role ? 1 : 0}",
      permissions_boundary: "${var.role_permissions_boundary}",
    });
    expect(resource("aws_apigatewayv2_api", "http_api_api").dynamic.cors_configuration.for_each).toBe(
      "${(var.cors_configuration == null) ? [] : [var.cors_configuration]}",
    );
    expect(resource("aws_lambda_permission", "http_api_invoke_from_url_iam").principal).toBe(
      "${element(var.function_url_allowed_principals, count.index)}",
    );
    expect((json.output as Json).role_policy_json.value).toBe(
      "${data.aws_iam_policy_document.lambda_permissions.json}",
    );
    expect(checkPolicies(json)).toEqual([]);
  });

  withTerraform("refuses what AWS would refuse (variable validations)", () => {
    const bad: Record<string, unknown>[] = [
      { workspace_bucket_prefix: "Upper-" },
      { workspace_bucket_prefix: "under_score-" },
      { workspace_bucket_prefix: "a".repeat(38) },
      { workspace_bucket_prefix: "two..dots-" },
      { workspace_bucket_prefix: "xn--idn-" },
      { vpc_subnet_ids: ["sg-1"] },
      { vpc_security_group_ids: ["subnet-1"] },
      { kms_key_arn: "alias/mine" },
      { tracing_mode: "active" },
      { lambda_role: "mcp-role" },
      { role_permissions_boundary: "arn:aws:iam::123456789012:role/x" },
      { logging_log_format: "json" },
      { logging_application_log_level: "VERBOSE" },
      { logging_system_log_level: "ERROR" },
      { function_url_allowed_principals: ["*"] },
      { function_url_allowed_principals: ["arn:aws:iam::123:role/x"] },
      { domain_name: "MCP.example.com" },
      { domain_name_certificate_arn: "arn:aws:iam::123456789012:server-certificate/x" },
      { route53_zone_id: "zone" },
      { auth_token_secret_arn: "my-secret" },
      { cloudwatch_logs_kms_key_id: "alias/logs" },
    ];
    for (const values of bad) {
      const all = { image_uri: IMAGE, ...values };
      expect({ values, ok: consoleEval(json, ["true"], all).ok }).toEqual({ values, ok: false });
    }
    const good: Record<string, unknown>[] = [
      { workspace_bucket_prefix: "team.mcp-ws-" },
      { workspace_bucket_prefix: "a".repeat(37) },
      { vpc_subnet_ids: ["subnet-1", "subnet-2"], vpc_security_group_ids: ["sg-1"] },
      { tracing_mode: "Active", logging_application_log_level: "DEBUG", logging_system_log_level: "WARN" },
      { create_role: false, lambda_role: "arn:aws:iam::123456789012:role/platform/mcp" },
      { function_url_allowed_principals: ["210987654321", "arn:aws:iam::210987654321:role/agent"] },
      { reserved_concurrent_executions: 0 },
      { auth_token_secret_arn: "", cloudwatch_logs_kms_key_id: null },
      { cors_configuration: { allow_origins: ["https://app.example.com"] } },
    ];
    for (const values of good) {
      const all = { image_uri: IMAGE, ...values };
      expect({ values, ok: consoleEval(json, ["true"], all).ok }).toEqual({ values, ok: true });
    }
  });

  withTerraform("stops inconsistent combinations at plan (preconditions)", () => {
    expect(refused({})).toEqual([]);
    expect(refused({ create_auth_token_secret: false })).toEqual([
      "aws_lambda_function.lambda_function.lifecycle.precondition[0]",
    ]);
    expect(refused({ create_auth_token_secret: false, auth_type: "iam" })).toEqual([]);
    expect(refused({ create_auth_token_secret: false, auth_token_ssm_parameter_name: "/mcp/token" })).toEqual(
      [],
    );
    expect(refused({ vpc_subnet_ids: ["subnet-1"] })).toEqual([
      "aws_lambda_function.lambda_function.lifecycle.precondition[1]",
    ]);
    expect(refused({ logging_log_format: "Text", logging_system_log_level: "WARN" })).toEqual([
      "aws_lambda_function.lambda_function.lifecycle.precondition[2]",
    ]);
    expect(refused({ create_role: false })).toEqual([
      "aws_lambda_function.lambda_function.lifecycle.precondition[3]",
    ]);
    expect(refused({ domain_name: "mcp.example.com" })).toEqual([
      "aws_apigatewayv2_domain_name.http_api_domain.lifecycle.precondition[0]",
    ]);
    // A name valid for Lambda but not for S3: the derived prefix is lowercased and cut, so it passes.
    expect(
      refused({ create_workspace_bucket: true, function_name: `Jupyter_MCP_${"x".repeat(40)}` }),
    ).toEqual([]);
    expect(refused({ create_workspace_bucket: true, function_name: "_mcp" })).toEqual([
      "aws_s3_bucket.workspace_bucket.lifecycle.precondition[0]",
    ]);
  });

  withTerraform(
    "the workspace bucket's prefix: derived from function_name, or given (terraform console)",
    () => {
      const prefix = (values: Record<string, unknown>) =>
        consoleEval(json, ["local.workspace_bucket_prefix"], { image_uri: IMAGE, ...values }).values[0];
      expect(prefix({})).toBe("jupyter-mcp-workspace-");
      expect(prefix({ function_name: "My_Function_With_A_Long_Name_1234" })).toBe(
        "my-function-with-a-long-na-workspace-",
      );
      expect(prefix({ workspace_bucket_prefix: "team-mcp-" })).toBe("team-mcp-");
    },
  );

  withTerraform("VPC, role and URL principals evaluate as meant (terraform console)", () => {
    const fn = resource("aws_lambda_function", "lambda_function");
    const probe = withLocals(json, {
      probe_vpc: fn.dynamic.vpc_config.for_each,
      probe_role: fn.role,
      probe_url_iam: resource("aws_lambda_permission", "http_api_invoke_from_url_iam").count,
    });
    const exprs = ["local.probe_vpc", "local.probe_role", "local.probe_url_iam"];
    const ROLE = "arn:aws:iam::123456789012:role/platform/mcp";
    const run = (values: Record<string, unknown>) =>
      consoleEval(probe, exprs, { image_uri: IMAGE, ...values });
    expect(run({}).values).toEqual([[], "<aws_iam_role.lambda_role.arn>", 0]);
    expect(
      run({
        vpc_subnet_ids: ["subnet-1"],
        vpc_security_group_ids: ["sg-1"],
        create_role: false,
        lambda_role: ROLE,
        create_function_url: true,
        function_url_allowed_principals: ["210987654321", "123456789012"],
      }).values,
    ).toEqual([[1], ROLE, 2]);
    const named = withLocals(json, { probe_name: (json.output as Json).role_name.value });
    const given = { image_uri: IMAGE, create_role: false, lambda_role: ROLE };
    expect(consoleEval(named, ["local.probe_name"], given).values).toEqual(["mcp"]);
  });
});
