import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing } from "cdktf";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import { checkInterface, checkPolicies } from "@jupyter-mcp/constructs/policy";
import {
  consoleEval,
  evaluatePreconditions,
  requiringTerraform,
  withLocals,
} from "@jupyter-mcp/constructs/terraform-console";
import {
  describeModuleContract,
  expectConsoleCases,
  sessionTableProperties,
  type ConsoleCase,
} from "@jupyter-mcp/constructs/module-suite";
import { buildApp, MODULE_NAME } from "../src/stack.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
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
        session_table_name: "leases",
        session_table_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/t",
        kernel_preload: "numpy",
        default_timeout_seconds: 5,
      },
      {
        create_workspace_bucket: true,
        session_table_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/t",
        session_table_deletion_protection_enabled: false,
        reserved_concurrent_executions: 3,
        provisioned_concurrent_executions: 2,
      },
      { create_workspace_bucket: true, create_session_table: false, provisioned_concurrent_executions: 2 },
      { session_table_name: "leases", reserved_concurrent_executions: 1 },
      {
        create_workspace_bucket: true,
        checkpoint_key_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/c",
      },
      {
        workspace_bucket_name: "shared",
        checkpoint_key_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ck-AbCdEf",
        checkpoint_key_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/c",
      },
      { checkpoint_key_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ck-AbCdEf" },
      {
        vpc_subnet_ids: ["subnet-a", "subnet-b"],
        vpc_security_group_ids: ["sg-1"],
        kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/env",
        tracing_mode: "Active",
        logging_application_log_level: "DEBUG",
        logging_system_log_level: "WARN",
        role_permissions_boundary: "arn:aws:iam::123456789012:policy/boundary",
        create_function_url: true,
        function_url_allowed_principals: ["210987654321"],
        domain_name: "mcp.example.com",
        domain_name_certificate_arn: "arn:aws:acm:eu-west-1:123456789012:certificate/c",
        route53_zone_id: "Z123",
        cors_configuration: { allow_origins: ["https://app.example.com"], max_age: 600 },
      },
      {
        create_http_api: false,
        create_function_url: true,
        function_url_authorization_type: "NONE",
        function_url_invoke_mode: "RESPONSE_STREAM",
        oidc_issuer: "https://login.example.com/realms/mcp",
        oidc_audience: "mcp",
        oidc_scopes: ["mcp:tools"],
        create_auth_token_secret: false,
      },
      {
        oidc_issuer: "https://login.example.com/",
        create_function_url: true,
        function_url_authorization_type: "NONE",
      },
      {
        create_role: false,
        lambda_role: "arn:aws:iam::123456789012:role/platform/mcp",
        create_workspace_bucket: true,
        function_name: "Jupyter_MCP_With_A_Long_Name_Of_40_Chars",
        logging_log_format: "Text",
        auth_type: "iam",
        create_auth_token_secret: false,
      },
    ].map((extra) => ({ ...{ image_uri: IMAGE }, ...extra })),
  });

  it("has no provider or backend configuration, and provider constraints", () => {
    expect(json.provider).toBeUndefined();
    expect(json.terraform).toEqual({
      required_providers: { aws: { source: "hashicorp/aws", version: ">= 6.29" } },
      required_version: ">= 1.11.0",
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
      source_arn: "${one(aws_apigatewayv2_api.http_api_api[*].execution_arn)}/*/*",
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
      { image_uri: IMAGE, reserved_concurrent_executions: -1 },
      { image_uri: IMAGE, reserved_concurrent_executions: 1.5 },
      { image_uri: IMAGE, session_table_name: "x" },
      { image_uri: IMAGE, session_table_name: "no spaces allowed" },
      { image_uri: IMAGE, session_table_kms_key_arn: "alias/mine" },
      { image_uri: IMAGE, workspace_prefix: "/abs/" },
      { image_uri: IMAGE, workspace_prefix: "no-slash" },
      { image_uri: IMAGE, checkpoint_key_secret_arn: "mcp-checkpoint-key" },
      { image_uri: IMAGE, checkpoint_key_kms_key_arn: "alias/mine" },
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
      { provisioned_concurrent_executions: 2, reserved_concurrent_executions: 1 },
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

  it("session table: on demand, pk (S), TTL on expiresAt, encrypted, PITR, protected, tagged; with the workspace", () => {
    expect(synthesized).toHaveResourceWithProperties(DynamodbTable, {
      ...sessionTableProperties("function_name"),
      server_side_encryption: {
        enabled: true,
        kms_key_arn:
          "${(length(compact([var.session_table_kms_key_arn])) >= 1) ? var.session_table_kms_key_arn : null}",
      },
    });
    const vars = json.variable as Record<string, { default?: unknown }>;
    expect(vars.create_session_table!.default).toBe(true);
    expect(vars.session_table_name!.default).toBeNull();
    expect(vars.session_table_kms_key_arn!.default).toBeNull();
    expect(vars.session_table_deletion_protection_enabled!.default).toBe(true);
    expect(Object.keys(json.output as object)).toEqual(
      expect.arrayContaining(["session_table_name", "session_table_arn"]),
    );
  });

  it("IAM for sessions: only GetItem/PutItem/UpdateItem/DeleteItem on only the table ARN, S3 on sessions/*", () => {
    const docs = (json.data as Json).aws_iam_policy_document as Record<string, Json>;
    const withDynamo = Object.entries(docs).filter(([, d]) =>
      ((d.statement ?? []) as Json[]).some((st) =>
        (st.actions as string[]).some((a) => a.startsWith("dynamodb:")),
      ),
    );
    expect(withDynamo.map(([name]) => name)).toEqual(["lambda_workspace_sessions_policy"]);
    const [, doc] = withDynamo[0]!;
    expect(doc.count).toBe("${local.workspace_sessions_enabled ? 1 : 0}");
    const [leases, objects, list] = doc.statement as Json[];
    expect(leases).toEqual({
      sid: "SessionLeases",
      effect: "Allow",
      actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      resources: [(json.output as Json).session_table_arn.value],
    });
    expect(objects!.resources).toHaveLength(1);
    expect(objects!.resources[0]).toMatch(/\/\$\{var\.workspace_prefix\}sessions\/\*$/);
    expect(list!.condition).toEqual([
      { test: "StringLike", variable: "s3:prefix", values: ["${var.workspace_prefix}sessions/*"] },
    ]);
    const policy = ((json.resource as Json).aws_iam_role_policy as Json)
      .lambda_workspace_sessions_role_policy;
    expect(policy.role).toBe("${one(aws_iam_role.lambda_role[*].id)}");
    // The workspace's own policy no longer covers the whole prefix: files/ and outputs/ only.
    const ws = docs.lambda_workspace_policy!.statement as Json[];
    expect(ws[0]!.resources.map((r: string) => r.replace(/^.*\//, ""))).toEqual(["*", "*"]);
    expect(ws[0]!.resources.map((r: string) => /\}(files|outputs)\/\*$/.exec(r)?.[1])).toEqual([
      "files",
      "outputs",
    ]);
  });

  it("lifecycle: only outputs/ expires, never sessions/", () => {
    const rules = ((json.resource as Json).aws_s3_bucket_lifecycle_configuration as Json).workspace_lifecycle
      .rule as Json[];
    expect(rules.filter((r) => r.expiration).map((r) => r.filter)).toEqual([
      [{ prefix: "${var.workspace_prefix}outputs/" }],
    ]);
  });

  withTerraform(
    "sessions on with a workspace bucket, off without; MCP_SESSION_TABLE and the ARN (terraform console)",
    () => {
      const fn = ((json.resource as Json).aws_lambda_function as Json).lambda_function;
      const doc = ((json.data as Json).aws_iam_policy_document as Json).lambda_workspace_sessions_policy;
      const probe = withLocals(json, {
        probe_env: fn.environment.variables,
        probe_lease_arn: doc.statement[0].resources[0],
      });
      const exprs = [
        "local.workspace_sessions_enabled",
        "local.workspace_sessions_create_table",
        'lookup(local.probe_env, "MCP_SESSION_TABLE", null)',
        "local.probe_lease_arn",
      ];
      const CREATED = "<aws_dynamodb_table.workspace_sessions_table.name>";
      const GIVEN_ARN =
        "arn:<data.aws_partition.context_partition.partition>:dynamodb:<data.aws_region.context_region.region>:<data.aws_caller_identity.context_caller.account_id>:table/leases";
      const cases: ConsoleCase[] = [
        [{}, [false, false, null, null]],
        [{ session_table_name: "leases" }, [false, false, null, null]],
        [
          { create_workspace_bucket: true },
          [true, true, CREATED, "<aws_dynamodb_table.workspace_sessions_table.arn>"],
        ],
        [{ create_workspace_bucket: true, create_session_table: false }, [false, false, null, null]],
        [
          { workspace_bucket_name: "shared" },
          [true, true, CREATED, "<aws_dynamodb_table.workspace_sessions_table.arn>"],
        ],
        [
          { workspace_bucket_name: "shared", session_table_name: "leases" },
          [true, false, "leases", GIVEN_ARN],
        ],
      ];
      expectConsoleCases(probe, exprs, cases, { image_uri: IMAGE });
    },
  );

  it("checkpoint key: a random secret created with sessions, tagged, never in state; its own inputs", () => {
    const vars = json.variable as Record<string, { default?: unknown }>;
    expect(vars.checkpoint_key_secret_arn!.default).toBeNull();
    expect(vars.checkpoint_key_kms_key_arn!.default).toBeNull();
    const res = json.resource as Json;
    const secret = res.aws_secretsmanager_secret.workspace_sessions_checkpoint_key_secret;
    expect(secret).toEqual({
      count: "${local.workspace_sessions_checkpoint_key_create_secret ? 1 : 0}",
      name_prefix: "${var.function_name}-checkpoint-key-",
      description: expect.stringContaining("session checkpoints"),
      kms_key_id:
        "${(length(compact([var.checkpoint_key_kms_key_arn])) >= 1) ? var.checkpoint_key_kms_key_arn : null}",
      recovery_window_in_days: 7,
      tags: "${var.tags}",
    });
    // Ephemeral, written write-only: the key is in neither the plan nor the state.
    const random = (json.ephemeral as Json).aws_secretsmanager_random_password
      .workspace_sessions_checkpoint_key_random;
    expect(random).toEqual({ count: secret.count, password_length: 64, exclude_punctuation: true });
    const version = res.aws_secretsmanager_secret_version.workspace_sessions_checkpoint_key_value;
    expect(version).toEqual({
      count: secret.count,
      secret_id: "${one(aws_secretsmanager_secret.workspace_sessions_checkpoint_key_secret[*].id)}",
      secret_string_wo:
        "${one(ephemeral.aws_secretsmanager_random_password.workspace_sessions_checkpoint_key_random[*].random_password)}",
      secret_string_wo_version: 1,
    });
    expect(json.data as Json).not.toHaveProperty("aws_secretsmanager_random_password");
    expect((json.output as Json).checkpoint_key_secret_arn.description).toMatch(/null without sessions/);
  });

  it("IAM for the checkpoint key: only GetSecretValue on only that secret; kms:Decrypt via Secrets Manager", () => {
    const docs = (json.data as Json).aws_iam_policy_document as Record<string, Json>;
    const all: Json[] = Object.entries(docs).flatMap(([name, d]) =>
      ((d.statement ?? []) as Json[]).map((st) => ({ name, count: d.count, ...st })),
    );
    const secretArn = (json.output as Json).checkpoint_key_secret_arn.value;
    // Every Secrets Manager statement of the module: the token's and the checkpoint key's.
    expect(all.filter((st) => (st.actions as string[]).some((a) => a.startsWith("secretsmanager:")))).toEqual(
      [
        expect.objectContaining({ sid: "ReadAuthTokenSecret" }),
        {
          name: "lambda_workspace_checkpoint_key_policy",
          count: "${local.workspace_sessions_enabled ? 1 : 0}",
          sid: "ReadCheckpointKey",
          effect: "Allow",
          actions: ["secretsmanager:GetSecretValue"],
          resources: [secretArn],
        },
      ],
    );
    expect(all.find((st) => st.sid === "DecryptCheckpointKey")).toEqual({
      name: "lambda_workspace_checkpoint_key_kms_policy",
      count: "${local.workspace_sessions_checkpoint_key_uses_kms ? 1 : 0}",
      sid: "DecryptCheckpointKey",
      effect: "Allow",
      actions: ["kms:Decrypt"],
      resources: ["${var.checkpoint_key_kms_key_arn}"],
      condition: [
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: ["secretsmanager.${data.aws_region.context_region.region}.amazonaws.com"],
        },
      ],
    });
    const policies = (json.resource as Json).aws_iam_role_policy as Record<string, Json>;
    for (const name of ["workspace-checkpoint-key", "workspace-checkpoint-key-kms"]) {
      expect(Object.values(policies).find((p) => p.name === name)!.role).toBe(
        "${one(aws_iam_role.lambda_role[*].id)}",
      );
    }
  });

  withTerraform(
    "checkpoint key: created with sessions, given one used, none without (terraform console)",
    () => {
      const fn = ((json.resource as Json).aws_lambda_function as Json).lambda_function;
      const doc = ((json.data as Json).aws_iam_policy_document as Json)
        .lambda_workspace_checkpoint_key_policy;
      const probe = withLocals(json, {
        probe_env: fn.environment.variables,
        probe_read_arn: doc.statement[0].resources[0],
        probe_output: (json.output as Json).checkpoint_key_secret_arn.value,
      });
      const exprs = [
        "local.workspace_sessions_checkpoint_key_create_secret",
        "local.workspace_sessions_checkpoint_key_uses_kms",
        'lookup(local.probe_env, "MCP_CHECKPOINT_KEY_SECRET_ARN", null)',
        "local.probe_read_arn",
        "local.probe_output",
      ];
      const CREATED = "<aws_secretsmanager_secret.workspace_sessions_checkpoint_key_secret.arn>";
      const GIVEN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ck-AbCdEf";
      const KMS = "arn:aws:kms:eu-west-1:123456789012:key/c";
      const cases: ConsoleCase[] = [
        [{}, [false, false, null, null, null]],
        [
          { checkpoint_key_secret_arn: GIVEN, checkpoint_key_kms_key_arn: KMS },
          [false, false, null, null, null],
        ],
        [{ create_workspace_bucket: true }, [true, false, CREATED, CREATED, CREATED]],
        [
          { create_workspace_bucket: true, checkpoint_key_kms_key_arn: KMS },
          [true, true, CREATED, CREATED, CREATED],
        ],
        [
          { workspace_bucket_name: "shared", session_table_name: "leases" },
          [true, false, CREATED, CREATED, CREATED],
        ],
        [
          { create_workspace_bucket: true, checkpoint_key_secret_arn: GIVEN },
          [false, false, GIVEN, GIVEN, GIVEN],
        ],
        [
          { create_workspace_bucket: true, create_session_table: false, checkpoint_key_secret_arn: GIVEN },
          [false, false, null, null, null],
        ],
      ];
      expectConsoleCases(probe, exprs, cases, { image_uri: IMAGE });
    },
  );

  withTerraform("no reserved concurrency by default; a user value passes through (terraform console)", () => {
    expect((json.variable as Json).reserved_concurrent_executions.default).toBeNull();
    const fn = ((json.resource as Json).aws_lambda_function as Json).lambda_function;
    const probe = withLocals(json, { probe_rce: fn.reserved_concurrent_executions });
    expect(consoleEval(probe, ["local.probe_rce"], { image_uri: IMAGE }).values).toEqual([null]);
    expect(
      consoleEval(probe, ["local.probe_rce"], { image_uri: IMAGE, reserved_concurrent_executions: 5 }).values,
    ).toEqual([5]);
    // Provisioned concurrency needs no reservation; with one, it must fit in it.
    const holds = (values: Record<string, unknown>) =>
      evaluatePreconditions(json, { image_uri: IMAGE, ...values }).every((p) => p.holds === true);
    expect(holds({ provisioned_concurrent_executions: 3 })).toBe(true);
    expect(holds({ provisioned_concurrent_executions: 3, reserved_concurrent_executions: 3 })).toBe(true);
    expect(holds({ provisioned_concurrent_executions: 3, reserved_concurrent_executions: 2 })).toBe(false);
  });
});
