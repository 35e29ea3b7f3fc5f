import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing } from "cdktf";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service/index.js";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
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
const json = moduleJson(buildApp().stack);
const synthesized = Testing.synth(buildApp().stack);
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));
const REQUIRED = {
  image_uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyter-mcp:0123abcd",
  ecr_repository_arn: "arn:aws:ecr:eu-west-1:123456789012:repository/jupyter-mcp",
  vpc_id: "vpc-0123abcd",
  subnet_ids: ["subnet-a"],
  alb_subnet_ids: ["subnet-b", "subnet-c"],
};

describe(`modules/${MODULE_NAME}`, () => {
  describeModuleContract({
    name: MODULE_NAME,
    testUrl: import.meta.url,
    build: () => buildApp().stack,
    configurations: [
      {},
      {
        certificate_arn: "arn:aws:acm:eu-west-1:123456789012:certificate/c",
        domain_name: "mcp.example.com",
        route53_zone_id: "Z123",
        cpu: 512,
        memory: 1024,
        cluster_arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/c",
        create_workspace_bucket: true,
        auth_token_ssm_parameter_name: "/mcp/token",
      },
      {
        auth_token_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s",
        auth_token_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        workspace_bucket_name: "shared",
        session_table_name: "leases",
        session_table_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/t",
      },
      { create_workspace_bucket: true, create_session_table: false },
      {
        oidc_issuer: "https://login.example.com/realms/mcp",
        oidc_audience: "mcp",
        oidc_scopes: ["mcp:tools"],
        create_auth_token_secret: false,
        certificate_arn: "arn:aws:acm:eu-west-1:123456789012:certificate/c",
        domain_name: "mcp.example.com",
      },
      { create_workspace_bucket: true, session_table_deletion_protection_enabled: false },
      {
        create_workspace_bucket: true,
        checkpoint_key_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ck-AbCdEf",
        checkpoint_key_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/c",
      },
      {
        workspace_bucket_name: "shared",
        checkpoint_key_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/c",
      },
    ].map((extra) => ({ ...REQUIRED, ...extra })),
  });

  it("has no provider or backend configuration", () => {
    expect(json.provider).toBeUndefined();
    expect((json.terraform as { backend?: unknown }).backend).toBeUndefined();
  });

  it("every variable has a type and a description; policy checks pass", () => {
    expect(checkInterface(json)).toEqual([]);
    expect(checkPolicies(json)).toEqual([]);
  });

  it("private tasks, hardened ALB", () => {
    expect(synthesized).toHaveResourceWithProperties(EcsService, {
      network_configuration: expect.objectContaining({ assign_public_ip: false }),
    });
    expect(synthesized).toHaveResourceWithProperties(Lb, {
      drop_invalid_header_fields: true,
      idle_timeout: "${var.idle_timeout}",
    });
  });

  withTerraform("builds the container environment and refuses invalid inputs (terraform console)", () => {
    const r = consoleEval(json, ["local.fargate_environment"], { ...REQUIRED, max_output_chars: 5000 });
    expect(r.values[0]).toEqual([
      { name: "HOST", value: "0.0.0.0" },
      { name: "JUPYTER_STATE_ROOT", value: "/tmp/jupyter-mcp" },
      { name: "MCP_MAX_OUTPUT_CHARS", value: "5000" },
      { name: "PORT", value: "8080" },
    ]);
    const ws = consoleEval(json, ["local.fargate_environment"], {
      ...REQUIRED,
      workspace_bucket_name: "shared",
    });
    expect(ws.values[0]).toEqual(
      expect.arrayContaining([
        { name: "MCP_WORKSPACE_BUCKET", value: "shared" },
        { name: "MCP_WORKSPACE_PREFIX", value: "workspaces/" },
        // Sessions come with the workspace: a created table, named in the task's environment.
        { name: "MCP_SESSION_TABLE", value: "<aws_dynamodb_table.workspace_sessions_table.name>" },
      ]),
    );
    const names = (values: Record<string, unknown>) =>
      (consoleEval(json, ["local.fargate_environment"], { ...REQUIRED, ...values }).values[0] as Json[]).map(
        (e) => e.name,
      );
    expect(names({})).not.toContain("MCP_SESSION_TABLE");
    expect(names({ create_workspace_bucket: true, create_session_table: false })).not.toContain(
      "MCP_SESSION_TABLE",
    );
    const given = consoleEval(json, ["local.fargate_environment"], {
      ...REQUIRED,
      workspace_bucket_name: "shared",
      session_table_name: "leases",
    });
    expect(given.values[0]).toEqual(expect.arrayContaining([{ name: "MCP_SESSION_TABLE", value: "leases" }]));
    const sources = [
      "local.auth_token_create_secret",
      "local.auth_token_uses_secret",
      "local.auth_token_uses_ssm",
    ];
    expect(consoleEval(json, sources, REQUIRED).values).toEqual([true, true, false]);
    expect(consoleEval(json, sources, { ...REQUIRED, auth_token_ssm_parameter_name: "/t" }).values).toEqual([
      false,
      false,
      true,
    ]);
    for (const values of [
      { ...REQUIRED, alb_subnet_ids: ["subnet-b"] },
      { ...REQUIRED, alb_ingress_cidr_blocks: ["everyone"] },
      { ...REQUIRED, cpu: 3000 },
      { ...REQUIRED, name: "a-name-that-is-far-too-long-for-an-alb" },
      { ...REQUIRED, certificate_arn: "not-an-arn" },
      // CPU and memory as a pair, per Fargate's table.
      { ...REQUIRED, cpu: 256, memory: 4096 },
      { ...REQUIRED, cpu: 1024, memory: 1024 },
      { ...REQUIRED, cpu: 8192, memory: 18432 },
      { ...REQUIRED, cpu: 16384, memory: 36864 },
      { ...REQUIRED, domain_name: "MCP.Example.com" },
      { ...REQUIRED, route53_zone_id: "zone" },
      { ...REQUIRED, cluster_arn: "my-cluster" },
      { ...REQUIRED, checkpoint_key_secret_arn: "mcp-checkpoint-key" },
      { ...REQUIRED, checkpoint_key_kms_key_arn: "alias/mine" },
    ]) {
      expect({ values, ok: consoleEval(json, ["true"], values).ok }).toEqual({ values, ok: false });
    }
    for (const [cpu, memory] of [
      [256, 512],
      [256, 2048],
      [512, 3072],
      [4096, 30720],
      [8192, 20480],
      [16384, 122880],
    ]) {
      const values = { ...REQUIRED, cpu, memory };
      expect({ values, ok: consoleEval(json, ["true"], values).ok }).toEqual({ values, ok: true });
    }
  });

  withTerraform(
    "no init process; the URL takes the domain; a certificate needs it (terraform console)",
    () => {
      const res = json.resource as Json;
      expect(res.aws_ecs_task_definition.fargate_task.container_definitions).not.toContain(
        "initProcessEnabled",
      );
      const url = (values: Record<string, unknown>) =>
        consoleEval(withLocals(json, { probe_url: (json.output as Json).url.value }), ["local.probe_url"], {
          ...REQUIRED,
          ...values,
        }).values[0];
      const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/c";
      expect(url({})).toBe("http://<aws_lb.fargate_alb.dns_name>");
      expect(url({ domain_name: "mcp.example.com" })).toBe("http://mcp.example.com");
      expect(url({ domain_name: "mcp.example.com", certificate_arn: cert })).toBe("https://mcp.example.com");
      const refused = evaluatePreconditions(json, { ...REQUIRED, certificate_arn: cert }).filter(
        (p) => p.holds === false,
      );
      expect(refused.map((p) => p.address)).toEqual([
        "aws_lb_listener.fargate_https.lifecycle.precondition[0]",
      ]);
      const noToken = evaluatePreconditions(json, { ...REQUIRED, create_auth_token_secret: false });
      expect(noToken.filter((p) => p.holds === false).map((p) => p.address)).toEqual([
        "aws_ecs_task_definition.fargate_task.lifecycle.precondition[0]",
      ]);
      expect(res.aws_route53_record.fargate_dns.count).toBe(
        "${((length(compact([var.domain_name])) >= 1) && (length(compact([var.route53_zone_id])) >= 1)) ? 1 : 0}",
      );
    },
  );

  it("session table with the workspace; the task role (never the execution role) takes leases on it only", () => {
    expect(synthesized).toHaveResourceWithProperties(DynamodbTable, sessionTableProperties("name"));
    const policies = (json.resource as Json).aws_iam_role_policy as Record<string, Json>;
    const sessions = Object.values(policies).filter((p) => String(p.name).startsWith("workspace-sessions"));
    expect(sessions.map((p) => p.role)).toEqual([
      "${aws_iam_role.fargate_task_role.id}",
      "${aws_iam_role.fargate_task_role.id}",
    ]);
    const docs = (json.data as Json).aws_iam_policy_document as Record<string, Json>;
    const dynamo = Object.values(docs)
      .flatMap((d) => d.statement as Json[])
      .filter((st) => (st.actions as string[]).some((a) => a.startsWith("dynamodb:")));
    expect(dynamo).toEqual([
      {
        sid: "SessionLeases",
        effect: "Allow",
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        resources: [(json.output as Json).session_table_arn.value],
      },
    ]);
  });

  it("checkpoint key: a random secret with sessions; the task role (never the execution role) reads only it", () => {
    const res = json.resource as Json;
    const secret = res.aws_secretsmanager_secret.workspace_sessions_checkpoint_key_secret;
    expect(secret).toMatchObject({
      count: "${local.workspace_sessions_checkpoint_key_create_secret ? 1 : 0}",
      name_prefix: "${var.name}-checkpoint-key-",
      recovery_window_in_days: 7,
      tags: "${var.tags}",
    });
    // Ephemeral, and written write-only: the key is never in the plan or the state.
    expect(
      (json.ephemeral as Json).aws_secretsmanager_random_password.workspace_sessions_checkpoint_key_random,
    ).toEqual({ count: secret.count, password_length: 64, exclude_punctuation: true });
    expect(res.aws_secretsmanager_secret_version.workspace_sessions_checkpoint_key_value).not.toHaveProperty(
      "secret_string",
    );
    const policies = Object.values(res.aws_iam_role_policy as Record<string, Json>);
    const keyPolicies = policies.filter((p) => String(p.name).includes("checkpoint-key"));
    expect(keyPolicies.map((p) => [p.name, p.role])).toEqual([
      ["workspace-checkpoint-key-kms", "${aws_iam_role.fargate_task_role.id}"],
      ["workspace-checkpoint-key", "${aws_iam_role.fargate_task_role.id}"],
    ]);
    const docs = (json.data as Json).aws_iam_policy_document as Record<string, Json>;
    const read = (docs.fargate_workspace_checkpoint_key_policy!.statement as Json[])[0];
    expect(read).toEqual({
      sid: "ReadCheckpointKey",
      effect: "Allow",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [(json.output as Json).checkpoint_key_secret_arn.value],
    });
    // The key is not an ECS secret: that would put it into the container's exec environment.
    const defs = res.aws_ecs_task_definition.fargate_task.container_definitions as string;
    expect(defs).not.toContain("MCP_CHECKPOINT_KEY");
  });

  withTerraform(
    "checkpoint key: MCP_CHECKPOINT_KEY_SECRET_ARN with sessions, the given ARN, none without (terraform console)",
    () => {
      const docs = (json.data as Json).aws_iam_policy_document as Record<string, Json>;
      const probe = withLocals(json, {
        probe_read_arn: docs.fargate_workspace_checkpoint_key_policy!.statement[0].resources[0],
        probe_output: (json.output as Json).checkpoint_key_secret_arn.value,
      });
      const exprs = [
        "local.workspace_sessions_checkpoint_key_create_secret",
        '[for e in local.fargate_environment : e.value if e.name == "MCP_CHECKPOINT_KEY_SECRET_ARN"]',
        "local.probe_read_arn",
        "local.probe_output",
      ];
      const CREATED = "<aws_secretsmanager_secret.workspace_sessions_checkpoint_key_secret.arn>";
      const GIVEN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ck-AbCdEf";
      const cases: ConsoleCase[] = [
        [{}, [false, [], null, null]],
        [{ checkpoint_key_secret_arn: GIVEN }, [false, [], null, null]],
        [{ create_workspace_bucket: true }, [true, [CREATED], CREATED, CREATED]],
        [
          { workspace_bucket_name: "shared", checkpoint_key_secret_arn: GIVEN },
          [false, [GIVEN], GIVEN, GIVEN],
        ],
        [{ create_workspace_bucket: true, create_session_table: false }, [false, [], null, null]],
      ];
      expectConsoleCases(probe, exprs, cases, REQUIRED);
      // The container's secrets stay the token alone, whatever the sessions.
      const td = ((json.resource as Json).aws_ecs_task_definition as Json).fargate_task;
      const withDefs = withLocals(json, { probe_defs: td.container_definitions });
      const secrets = consoleEval(withDefs, ["[for s in jsondecode(local.probe_defs)[0].secrets : s.name]"], {
        ...REQUIRED,
        create_workspace_bucket: true,
      });
      expect(secrets).toMatchObject({ ok: true, values: [["MCP_AUTH_TOKEN"]] });
    },
  );
});
