import { TerraformVariable } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { AuthToken, NO_TOKEN_SOURCE } from "../src/auth-token.js";
import { VPC_PAIR_MESSAGE, LEVELS_NEED_JSON } from "../src/function-options.js";
import { McpFunction, type McpFunctionProps } from "../src/function.js";
import { checkPolicies } from "../src/policy.js";
import {
  boolVar,
  dataOf,
  IMAGE,
  parse,
  resourcesOf,
  statements,
  stringVar,
  synth,
  type Json,
} from "./helpers.js";

const ROLE = "arn:aws:iam::123456789012:role/platform/mcp-exec";
const fnOf = (out: string): Json => resourcesOf(out, "aws_lambda_function")[0]!;

function lambda(props: Partial<McpFunctionProps> = {}): string {
  return synth(
    (s, context) => new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, context, ...props }),
  );
}

describe("McpFunction platform options (terraform-aws-modules/lambda names)", () => {
  it("VPC: vpc_config from literal subnets and groups, and the role's ENI permissions", () => {
    const out = lambda({ vpc: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-1"] } });
    expect(out).toHaveResourceWithProperties(LambdaFunction, {
      vpc_config: { subnet_ids: ["subnet-a", "subnet-b"], security_group_ids: ["sg-1"] },
    });
    const eni = statements(out).find((x) => x.sid === "VpcNetworkInterfaces")!;
    expect(eni.actions).toEqual([
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]);
    // In this account and region only; never "*".
    expect(eni.resources).toHaveLength(3);
    for (const r of eni.resources as string[]) {
      expect(r).toMatch(
        /^arn:\$\{data\.aws_partition\.ctx_partition\.partition\}:ec2:\$\{data\.aws_region.*\}:\$\{data\.aws_caller_identity.*\}:(network-interface|subnet|security-group)\/\*$/,
      );
    }
    // The two Describe calls have no resource-level permissions: "*" is the only valid resource.
    expect(statements(out).find((x) => x.sid === "VpcDescribe")).toMatchObject({
      actions: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
      resources: ["*"],
    });
    expect(resourcesOf(out, "aws_iam_role_policy").map((p) => p.name)).toContain("vpc");
    expect(checkPolicies(parse(out))).toEqual([]);
  });

  it("no VPC by default: no vpc_config, no EC2 permission; one list without the other is refused", () => {
    const out = lambda();
    expect(fnOf(out)).not.toHaveProperty("vpc_config");
    expect(fnOf(out)).not.toHaveProperty("dynamic");
    expect(statements(out).filter((x) => (x.actions as string[]).some((a) => a.startsWith("ec2:")))).toEqual(
      [],
    );
    expect(() => lambda({ vpc: { subnetIds: ["subnet-a"] } })).toThrow(VPC_PAIR_MESSAGE);
  });

  it("VPC at plan time: a dynamic vpc_config block, the ENI policy counted on it, and the pair precondition", () => {
    const out = synth((s, context) => {
      const list = (name: string) =>
        new TerraformVariable(s, name, { type: "list(string)", nullable: true }).listValue;
      new McpFunction(s, "fn", {
        functionName: "mcp",
        imageUri: IMAGE,
        context,
        vpc: { subnetIds: list("subnets"), securityGroupIds: list("groups") },
      });
    });
    const fn = fnOf(out);
    const has = (v: string) => `(length((var.${v} == null) ? [] : var.${v}) >= 1)`;
    expect(fn.dynamic.vpc_config).toEqual({
      for_each: `\${(${has("subnets")} && ${has("groups")}) ? [1] : []}`,
      content: { subnet_ids: "${var.subnets}", security_group_ids: "${var.groups}" },
    });
    expect(fn.lifecycle.precondition).toContainEqual({
      condition: `\${(${has("subnets")} == ${has("groups")})}`,
      error_message: VPC_PAIR_MESSAGE,
    });
    const vpcPolicy = resourcesOf(out, "aws_iam_role_policy").find((p) => p.name === "vpc")!;
    expect(vpcPolicy.count).toBe(`\${(${has("subnets")} && ${has("groups")}) ? 1 : 0}`);
  });

  it('kms_key_arn encrypts the environment; unset, Lambda\'s AWS managed key (null, never "")', () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/env";
    expect(fnOf(lambda({ kmsKeyArn: key })).kms_key_arn).toBe(key);
    expect(fnOf(lambda())).not.toHaveProperty("kms_key_arn");
    const out = synth(
      (s) =>
        new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, kmsKeyArn: stringVar(s, "kms") }),
    );
    expect(fnOf(out).kms_key_arn).toBe("${(length(compact([var.kms])) >= 1) ? var.kms : null}");
  });

  it('tracing_mode: tracing_config, and the X-Ray writes on the role only when "Active"', () => {
    const active = lambda({ tracingMode: "Active" });
    expect(fnOf(active).tracing_config).toEqual({ mode: "Active" });
    expect(statements(active).find((x) => x.sid === "XRayWrite")).toMatchObject({
      actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      resources: ["*"],
    });
    expect(checkPolicies(parse(active))).toEqual([]);
    const pass = lambda({ tracingMode: "PassThrough" });
    expect(statements(pass).find((x) => x.sid === "XRayWrite")).toBeUndefined();
    expect(fnOf(lambda())).not.toHaveProperty("tracing_config");
    const planned = synth(
      (s) =>
        new McpFunction(s, "fn", {
          functionName: "mcp",
          imageUri: IMAGE,
          tracingMode: stringVar(s, "tracing"),
        }),
    );
    expect(fnOf(planned).tracing_config).toEqual({ mode: '${coalesce(var.tracing, "PassThrough")}' });
    const xray = resourcesOf(planned, "aws_iam_role_policy").find((p) => p.name === "xray")!;
    expect(xray.count).toBe('${(var.tracing == "Active") ? 1 : 0}');
  });

  it("logging: JSON by default; format and levels pass through; levels with Text are refused", () => {
    expect(fnOf(lambda()).logging_config).toEqual({
      log_format: "JSON",
      log_group: "${aws_cloudwatch_log_group.fn_logs.name}",
    });
    const out = lambda({ logging: { applicationLogLevel: "DEBUG", systemLogLevel: "WARN" } });
    expect(fnOf(out).logging_config).toMatchObject({
      application_log_level: "DEBUG",
      system_log_level: "WARN",
    });
    expect(fnOf(lambda({ logging: { logFormat: "Text" } })).logging_config.log_format).toBe("Text");
    expect(() => lambda({ logging: { logFormat: "Text", applicationLogLevel: "DEBUG" } })).toThrow(
      LEVELS_NEED_JSON,
    );
    const planned = synth(
      (s) =>
        new McpFunction(s, "fn", {
          functionName: "mcp",
          imageUri: IMAGE,
          logging: { logFormat: stringVar(s, "fmt", "JSON"), applicationLogLevel: stringVar(s, "app") },
        }),
    );
    expect(fnOf(planned).lifecycle.precondition).toEqual([
      {
        condition: '${((var.fmt == "JSON") || ((var.app == null) && true))}',
        error_message: LEVELS_NEED_JSON,
      },
    ]);
  });

  it("role_permissions_boundary on the created role", () => {
    const boundary = "arn:aws:iam::123456789012:policy/boundary";
    expect(lambda({ rolePermissionsBoundary: boundary })).toHaveResourceWithProperties(IamRole, {
      permissions_boundary: boundary,
    });
  });

  it("an existing role (createRole false): no role, no inline policy; its ARN and name; the permissions as one document", () => {
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", { name: "mcp", context });
      const fn = new McpFunction(s, "fn", {
        functionName: "mcp",
        imageUri: IMAGE,
        authToken,
        createRole: false,
        roleArn: ROLE,
      });
      expect(fn.roleArn).toBe(ROLE);
      expect(fn.roleName).toBe("mcp-exec");
      expect(fn.role).toBeUndefined();
    });
    expect(out).not.toHaveResource(IamRole);
    expect(resourcesOf(out, "aws_iam_role_policy")).toEqual([]);
    expect(fnOf(out).role).toBe(ROLE);
    const combined = dataOf(out, "aws_iam_policy_document").find((d) => d.source_policy_documents)!;
    expect(combined.source_policy_documents).toBe(
      "${compact([data.aws_iam_policy_document.fn_logs_policy.json, data.aws_iam_policy_document.fn_auth_secret_policy.json])}",
    );
    expect(() =>
      synth((s) => new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, createRole: false })),
    ).toThrow(/roleArn/);
  });

  it("create_role at plan time: the role and every policy counted on it, a precondition for lambda_role", () => {
    const out = synth(
      (s) =>
        new McpFunction(s, "fn", {
          functionName: "mcp",
          imageUri: IMAGE,
          createRole: boolVar(s, "create_role", true),
          roleArn: stringVar(s, "lambda_role"),
        }),
    );
    expect(resourcesOf(out, "aws_iam_role")[0]!.count).toBe("${var.create_role ? 1 : 0}");
    expect(resourcesOf(out, "aws_iam_role_policy").map((p) => p.count)).toEqual([
      "${var.create_role ? 1 : 0}",
    ]);
    expect(fnOf(out).role).toBe("${var.create_role ? one(aws_iam_role.fn_role[*].arn) : var.lambda_role}");
    expect(fnOf(out).lifecycle.precondition).toContainEqual({
      condition: "${(var.create_role || (length(compact([var.lambda_role])) >= 1))}",
      error_message: "create_role = false needs lambda_role: the ARN of the execution role to use.",
    });
  });

  it("token auth without a source: refused at synth, or by a precondition on the function at plan time", () => {
    expect(() =>
      synth((s, context) => new AuthToken(s, "tok", { name: "mcp", createSecret: false, context })),
    ).toThrow(NO_TOKEN_SOURCE);
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", {
        name: "mcp",
        enabled: boolVar(s, "token_auth", true),
        createSecret: boolVar(s, "create_secret", true),
        secretArn: stringVar(s, "secret"),
        context,
      });
      new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, authToken });
    });
    expect(parse(out).locals.tok_has_source).toBe("${(!var.token_auth || local.tok_uses_secret)}");
    expect(fnOf(out).lifecycle.precondition).toEqual([
      { condition: "${local.tok_has_source}", error_message: NO_TOKEN_SOURCE },
    ]);
    // With a literal source nothing needs checking.
    expect(fnOf(lambda())).not.toHaveProperty("lifecycle");
  });
});
