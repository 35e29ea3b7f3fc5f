import { TerraformVariable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config/index.js";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js";
import { AuthToken } from "../src/auth-token.js";
import { McpFunction, settingsEnvironment } from "../src/function.js";
import { ephemeralOf, IMAGE, resourcesOf, statements, stringVar, synth } from "./helpers.js";

describe("McpFunction", () => {
  it("defaults: arm64 image function, no reserved concurrency, own log group with retention, alias live", () => {
    const out = synth((s) => new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE }));
    expect(out).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "mcp",
      package_type: "Image",
      image_uri: IMAGE,
      architectures: ["arm64"],
      publish: true,
      memory_size: 2048,
      timeout: 900,
      ephemeral_storage: { size: 2048 },
      logging_config: { log_format: "JSON", log_group: "${aws_cloudwatch_log_group.fn_logs.name}" },
    });
    expect(out).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/lambda/mcp",
      retention_in_days: 30,
    });
    expect(out).toHaveResourceWithProperties(LambdaAlias, { name: "live" });
    expect(out).not.toHaveResource(LambdaProvisionedConcurrencyConfig);
    const fn = resourcesOf(out, "aws_lambda_function")[0]!;
    // Reserving even 1 fails in accounts whose concurrency quota is 10 (AWS keeps 100 unreserved).
    expect(fn).not.toHaveProperty("reserved_concurrent_executions");
    const env = fn.environment.variables as string;
    expect(env).toContain('"JUPYTER_STATE_ROOT" = "/tmp/jupyter-mcp"');
  });

  it("passes sizing options through", () => {
    const out = synth(
      (s) =>
        new McpFunction(s, "fn", {
          functionName: "mcp",
          imageUri: IMAGE,
          architecture: "x86_64",
          memorySize: 4096,
          timeout: 60,
          ephemeralStorageSize: 4096,
          reservedConcurrency: 3,
          logRetentionDays: 7,
        }),
    );
    expect(out).toHaveResourceWithProperties(LambdaFunction, {
      architectures: ["x86_64"],
      memory_size: 4096,
      timeout: 60,
      ephemeral_storage: { size: 4096 },
      reserved_concurrent_executions: 3,
    });
    expect(out).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: 7 });
  });

  it("adds provisioned concurrency on the alias", () => {
    const out = synth(
      (s) => new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, provisionedConcurrency: 1 }),
    );
    expect(out).toHaveResourceWithProperties(LambdaProvisionedConcurrencyConfig, {
      provisioned_concurrent_executions: 1,
    });
    const pc = resourcesOf(out, "aws_lambda_provisioned_concurrency_config")[0]!;
    expect(pc.qualifier).toMatch(/aws_lambda_alias\..*\.name/);
  });

  it("refuses provisioned concurrency above reserved concurrency when both are set", () => {
    expect(() =>
      synth(
        (s) =>
          new McpFunction(s, "fn", {
            functionName: "mcp",
            imageUri: IMAGE,
            reservedConcurrency: 1,
            provisionedConcurrency: 2,
          }),
      ),
    ).toThrow(/reservedConcurrency/);
  });

  it("provisioned concurrency without reserved concurrency: no limit, no precondition", () => {
    const out = synth(
      (s) => new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, provisionedConcurrency: 2 }),
    );
    expect(resourcesOf(out, "aws_lambda_function")[0]).not.toHaveProperty("reserved_concurrent_executions");
    const pc = resourcesOf(out, "aws_lambda_provisioned_concurrency_config")[0]!;
    expect(pc.provisioned_concurrent_executions).toBe(2);
    expect(pc.lifecycle).toBeUndefined();
  });

  it("plan-time reserved concurrency (may be null): passed through, provisioned <= reserved only when set", () => {
    const out = synth((s) => {
      const reserved = new TerraformVariable(s, "reserved", { type: "number", nullable: true });
      const provisioned = new TerraformVariable(s, "provisioned", { type: "number", default: 0 });
      new McpFunction(s, "fn", {
        functionName: "mcp",
        imageUri: IMAGE,
        reservedConcurrency: reserved.numberValue,
        provisionedConcurrency: provisioned.numberValue,
      });
    });
    expect(resourcesOf(out, "aws_lambda_function")[0]!.reserved_concurrent_executions).toBe(
      "${var.reserved}",
    );
    const pc = resourcesOf(out, "aws_lambda_provisioned_concurrency_config")[0]!;
    expect(pc.count).toBe("${(var.provisioned >= 1) ? 1 : 0}");
    expect(pc.lifecycle.precondition).toEqual([
      {
        condition: "${(var.reserved == null) ? true : (var.provisioned <= var.reserved)}",
        error_message: "Provisioned concurrency cannot exceed the function's reserved concurrency.",
      },
    ]);
  });

  it("role: its own log group only, nothing else without a token source", () => {
    const out = synth((s) => new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE }));
    const st = statements(out).filter((x) => x.sid !== "AssumeRole");
    expect(st).toHaveLength(1);
    expect(st[0]!.actions).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(st[0]!.resources).toEqual(["${aws_cloudwatch_log_group.fn_logs.arn}:*"]);
  });

  it("token in a created secret: secret with a random value, GetSecretValue on that secret, env ARN", () => {
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", { name: "mcp", context });
      new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, authToken });
    });
    expect(out).toHaveResource(SecretsmanagerSecret);
    // Generated by an ephemeral resource and written write-only: never in the plan or the state.
    expect(out).toHaveResourceWithProperties(SecretsmanagerSecretVersion, {
      secret_string_wo: "${ephemeral.aws_secretsmanager_random_password.tok_random.random_password}",
      secret_string_wo_version: 1,
    });
    expect(resourcesOf(out, "aws_secretsmanager_secret_version")[0]).not.toHaveProperty("secret_string");
    expect(ephemeralOf(out, "aws_secretsmanager_random_password")).toEqual([
      { password_length: 48, exclude_punctuation: true },
    ]);
    const st = statements(out).find((x) => x.sid === "ReadAuthTokenSecret")!;
    expect(st.actions).toEqual(["secretsmanager:GetSecretValue"]);
    expect(st.resources).toEqual(["${one(aws_secretsmanager_secret.tok_secret[*].arn)}"]);
    const env = resourcesOf(out, "aws_lambda_function")[0]!.environment.variables as string;
    expect(env).toContain("MCP_AUTH_TOKEN_SECRET_ARN");
    expect(env).not.toContain("MCP_AUTH_TOKEN_SSM_PARAMETER");
  });

  it("token in an existing secret: no secret created, read access to exactly that ARN", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp-AbCdEf";
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", { name: "mcp", secretArn: arn, context });
      new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, authToken });
    });
    expect(out).not.toHaveResource(SecretsmanagerSecret);
    expect(statements(out).find((x) => x.sid === "ReadAuthTokenSecret")!.resources).toEqual([arn]);
  });

  it("token in SSM: ssm:GetParameter on that parameter, kms:Decrypt on the given key, env name", () => {
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", {
        name: "mcp",
        ssmParameterName: "/mcp/token",
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        context,
      });
      new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, authToken });
    });
    expect(out).not.toHaveResource(SecretsmanagerSecret);
    const ssm = statements(out).find((x) => x.sid === "ReadAuthTokenParameter")!;
    expect(ssm.actions).toEqual(["ssm:GetParameter"]);
    expect(ssm.resources).toEqual(["${local.tok_ssm_parameter_arn}"]);
    expect(JSON.parse(out).locals.tok_ssm_parameter_arn).toMatch(
      /^arn:\$\{data\.aws_partition.*:ssm:.*:parameter\/\$\{trimprefix\("\/mcp\/token", "\/"\)\}$/,
    );
    expect(statements(out).find((x) => x.sid === "DecryptAuthToken")!.resources).toEqual([
      "arn:aws:kms:eu-west-1:123456789012:key/k",
    ]);
    const env = resourcesOf(out, "aws_lambda_function")[0]!.environment.variables as string;
    expect(env).toContain('"MCP_AUTH_TOKEN_SSM_PARAMETER" = "/mcp/token"');
    expect(statements(out).find((x) => x.sid === "ReadAuthTokenSecret")).toBeUndefined();
  });

  it("token source chosen at plan time: one conditional policy per source", () => {
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", {
        name: "mcp",
        secretArn: stringVar(s, "secret"),
        ssmParameterName: stringVar(s, "param"),
        context,
      });
      new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, authToken });
    });
    const policies = resourcesOf(out, "aws_iam_role_policy");
    expect(policies.map((p) => p.count).filter(Boolean)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("local.tok_uses_secret"),
        expect.stringContaining("local.tok_uses_ssm"),
      ]),
    );
  });

  it("settings and extra environment use the handler's names", () => {
    expect(
      settingsEnvironment({
        defaultTimeoutSeconds: "30",
        maxTimeoutSeconds: "600",
        maxOutputChars: "20000",
        basePath: "/mcp-api",
        kernelPreload: "numpy,pandas",
        stateRoot: "/tmp/state",
      }),
    ).toEqual({
      JUPYTER_STATE_ROOT: "/tmp/state",
      MCP_DEFAULT_TIMEOUT_SECONDS: "30",
      MCP_MAX_TIMEOUT_SECONDS: "600",
      MCP_MAX_OUTPUT_CHARS: "20000",
      MCP_BASE_PATH: "/mcp-api",
      KERNEL_PRELOAD: "numpy,pandas",
    });
    const out = synth(
      (s) =>
        new McpFunction(s, "fn", {
          functionName: "mcp",
          imageUri: IMAGE,
          allowInsecure: true,
          environment: { MCP_WORKSPACE_BUCKET: "b" },
        }),
    );
    const env = resourcesOf(out, "aws_lambda_function")[0]!.environment.variables as string;
    expect(env).toContain('"MCP_ALLOW_INSECURE" = "1"');
    expect(env).toContain('"MCP_WORKSPACE_BUCKET" = "b"');
  });
});
