import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js";
import { CHECKPOINT_KEY_LENGTH } from "../src/checkpoint-key.js";
import { checkPolicies } from "../src/policy.js";
import {
  boolVar,
  dataOf,
  ephemeralOf,
  fargateWith,
  lambdaEnv as env,
  lambdaWith,
  parse,
  resourcesOf,
  statements,
  statementsFor,
  stringVar,
  type WorkspaceOptions,
} from "./helpers.js";

const CREATED_ARN = "${one(aws_secretsmanager_secret.ws_sessions_checkpoint_key_secret[*].arn)}";
const GIVEN_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp-checkpoint-AbCdEf";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/c";

/** Every Allow statement that names a Secrets Manager action. */
const secretStatements = (out: string) => statementsFor(out, "secretsmanager:");

const policyNamed = (out: string, name: string) =>
  resourcesOf(out, "aws_iam_role_policy").find((p) => p.name === name);

describe("McpCheckpointKey (the key that signs session checkpoints)", () => {
  it("with sessions: a secret with a random 64-character key, no punctuation, never in state, tagged", () => {
    const out = lambdaWith({ create: true, tags: { team: "platform" } });
    expect(out).toHaveResourceWithProperties(SecretsmanagerSecret, {
      name_prefix: "mcp-checkpoint-key-",
      description: expect.stringContaining("signs the Jupyter MCP server's session checkpoints"),
      recovery_window_in_days: 7,
      tags: { team: "platform" },
    });
    const secret = resourcesOf(out, "aws_secretsmanager_secret")[0]!;
    expect(secret).not.toHaveProperty("kms_key_id");
    expect(secret).not.toHaveProperty("count");
    expect(CHECKPOINT_KEY_LENGTH).toBeGreaterThanOrEqual(48);
    // The random key is an ephemeral value written write-only: in neither the plan nor the state.
    expect(dataOf(out, "aws_secretsmanager_random_password")).toEqual([]);
    expect(ephemeralOf(out, "aws_secretsmanager_random_password")).toEqual([
      { password_length: CHECKPOINT_KEY_LENGTH, exclude_punctuation: true },
    ]);
    const version = resourcesOf(out, "aws_secretsmanager_secret_version")[0]!;
    expect(version).toEqual({
      secret_id: "${one(aws_secretsmanager_secret.ws_sessions_checkpoint_key_secret[*].id)}",
      secret_string_wo:
        "${ephemeral.aws_secretsmanager_random_password.ws_sessions_checkpoint_key_random.random_password}",
      secret_string_wo_version: 1,
    });
    expect(version).not.toHaveProperty("secret_string");
    expect(version).not.toHaveProperty("lifecycle");
    expect(env(out)).toContain(
      `"MCP_CHECKPOINT_KEY_SECRET_ARN" = one(aws_secretsmanager_secret.ws_sessions_checkpoint_key_secret[*].arn)`,
    );
    expect(checkPolicies(parse(out))).toEqual([]);
  });

  it("without sessions: no secret, no random value, no env, no Secrets Manager permission", () => {
    const cases: WorkspaceOptions[] = [
      {},
      { sessions: { tableName: "leases" } },
      { sessions: { checkpointKey: { secretArn: GIVEN_ARN, kmsKeyArn: KEY } } },
      { create: true, sessions: { create: false } },
      { create: true, sessions: { create: false, checkpointKey: { secretArn: GIVEN_ARN, kmsKeyArn: KEY } } },
    ];
    for (const options of cases) {
      const out = lambdaWith(options);
      expect(out).not.toHaveResource(SecretsmanagerSecret);
      expect(out).not.toHaveResource(SecretsmanagerSecretVersion);
      expect(ephemeralOf(out, "aws_secretsmanager_random_password")).toEqual([]);
      expect(env(out)).not.toContain("MCP_CHECKPOINT_KEY");
      expect(secretStatements(out)).toEqual([]);
      expect(statements(out).find((x) => x.sid === "DecryptCheckpointKey")).toBeUndefined();
      expect(resourcesOf(out, "aws_iam_role_policy").map((p) => p.name)).not.toContain(
        "workspace-checkpoint-key",
      );
    }
  });

  it("IAM: secretsmanager:GetSecretValue only, on exactly that secret, in its own policy on the server's role", () => {
    const out = lambdaWith({ create: true });
    expect(secretStatements(out)).toEqual([
      {
        sid: "ReadCheckpointKey",
        effect: "Allow",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [CREATED_ARN],
      },
    ]);
    const policy = policyNamed(out, "workspace-checkpoint-key")!;
    expect(policy.role).toBe("${aws_iam_role.fn_role.id}");
    expect(policy.policy).toBe("${data.aws_iam_policy_document.fn_workspace_checkpoint_key_policy.json}");
    // No customer managed key, no KMS statement: the AWS managed key needs no permission on the role.
    expect(statements(out).find((x) => x.sid === "DecryptCheckpointKey")).toBeUndefined();
  });

  it("an existing secret: none created, its ARN in the env, read access to exactly that ARN", () => {
    const out = lambdaWith({ create: true, sessions: { checkpointKey: { secretArn: GIVEN_ARN } } });
    expect(out).not.toHaveResource(SecretsmanagerSecret);
    expect(out).not.toHaveResource(SecretsmanagerSecretVersion);
    expect(ephemeralOf(out, "aws_secretsmanager_random_password")).toEqual([]);
    expect(env(out)).toContain(`"MCP_CHECKPOINT_KEY_SECRET_ARN" = "${GIVEN_ARN}"`);
    expect(secretStatements(out)).toEqual([
      {
        sid: "ReadCheckpointKey",
        effect: "Allow",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [GIVEN_ARN],
      },
    ]);
  });

  it("KMS: a customer managed key encrypts a created secret; kms:Decrypt on it through Secrets Manager only", () => {
    const out = lambdaWith({ create: true, sessions: { checkpointKey: { kmsKeyArn: KEY } } });
    expect(out).toHaveResourceWithProperties(SecretsmanagerSecret, { kms_key_id: KEY });
    const st = statements(out).find((x) => x.sid === "DecryptCheckpointKey")!;
    expect(st).toEqual({
      sid: "DecryptCheckpointKey",
      effect: "Allow",
      actions: ["kms:Decrypt"],
      resources: [KEY],
      condition: [
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: ["secretsmanager.${data.aws_region.ctx_region.region}.amazonaws.com"],
        },
      ],
    });
    expect(policyNamed(out, "workspace-checkpoint-key-kms")!.role).toBe("${aws_iam_role.fn_role.id}");
    // A given secret with its key: the same grant, nothing created.
    const given = lambdaWith({
      create: true,
      sessions: { checkpointKey: { secretArn: GIVEN_ARN, kmsKeyArn: KEY } },
    });
    expect(given).not.toHaveResource(SecretsmanagerSecret);
    expect(statements(given).find((x) => x.sid === "DecryptCheckpointKey")!.resources).toEqual([KEY]);
    expect(checkPolicies(parse(out))).toEqual([]);
  });

  it("plan-time options: the secret, the policies and the env are conditional on named locals", () => {
    const out = lambdaWith((s) => ({
      create: boolVar(s, "ws_create"),
      sessions: {
        create: boolVar(s, "sessions_create", true),
        checkpointKey: { secretArn: stringVar(s, "key_secret"), kmsKeyArn: stringVar(s, "key_kms") },
      },
    }));
    const locals = parse(out).locals as Record<string, string>;
    expect(locals.ws_sessions_checkpoint_key_has_secret_arn).toBe(
      "${(local.ws_sessions_enabled && (length(compact([var.key_secret])) >= 1))}",
    );
    expect(locals.ws_sessions_checkpoint_key_create_secret).toBe(
      "${(local.ws_sessions_enabled && !local.ws_sessions_checkpoint_key_has_secret_arn)}",
    );
    expect(locals.ws_sessions_checkpoint_key_uses_kms).toBe(
      "${(local.ws_sessions_enabled && (length(compact([var.key_kms])) >= 1))}",
    );
    const created = "${local.ws_sessions_checkpoint_key_create_secret ? 1 : 0}";
    expect(resourcesOf(out, "aws_secretsmanager_secret")[0]!.count).toBe(created);
    expect(resourcesOf(out, "aws_secretsmanager_secret_version")[0]!.count).toBe(created);
    expect(ephemeralOf(out, "aws_secretsmanager_random_password")[0]!.count).toBe(created);
    expect(resourcesOf(out, "aws_secretsmanager_secret_version")[0]!.secret_string_wo).toBe(
      "${one(ephemeral.aws_secretsmanager_random_password.ws_sessions_checkpoint_key_random[*].random_password)}",
    );
    expect(resourcesOf(out, "aws_secretsmanager_secret")[0]!.kms_key_id).toBe(
      "${(length(compact([var.key_kms])) >= 1) ? var.key_kms : null}",
    );
    expect(policyNamed(out, "workspace-checkpoint-key")!.count).toBe("${local.ws_sessions_enabled ? 1 : 0}");
    expect(policyNamed(out, "workspace-checkpoint-key-kms")!.count).toBe(
      "${local.ws_sessions_checkpoint_key_uses_kms ? 1 : 0}",
    );
    const arn = `local.ws_sessions_enabled ? local.ws_sessions_checkpoint_key_has_secret_arn ? var.key_secret : one(aws_secretsmanager_secret.ws_sessions_checkpoint_key_secret[*].arn) : null`;
    expect(secretStatements(out).map((x) => x.resources)).toEqual([[`\${${arn}}`]]);
    expect(env(out)).toContain(`"MCP_CHECKPOINT_KEY_SECRET_ARN" = ${arn}`);
    expect(checkPolicies(parse(out))).toEqual([]);
  });

  it("on Fargate: the ARN in the container's environment, read by the task role; never an ECS secret", () => {
    const out = fargateWith({ create: true, sessions: { checkpointKey: { kmsKeyArn: KEY } } });
    const map = parse(out).locals.svc_environment_map as string;
    expect(map).toContain(
      '"MCP_CHECKPOINT_KEY_SECRET_ARN" = one(aws_secretsmanager_secret.ws_sessions_checkpoint_key_secret[*].arn)',
    );
    // ECS `secrets` would put the key itself into the container's (and Node's) exec environment,
    // which the image does not seal: only the token goes that way.
    const defs = resourcesOf(out, "aws_ecs_task_definition")[0]!.container_definitions as string;
    expect(defs).not.toContain("MCP_CHECKPOINT_KEY");
    expect(defs).toContain('"secrets" = [{"name" = "MCP_AUTH_TOKEN"');
    for (const name of ["workspace-checkpoint-key", "workspace-checkpoint-key-kms"]) {
      expect(policyNamed(out, name)!.role).toBe("${aws_iam_role.svc_task_role.id}");
    }
    // The execution role reads the token's secret only; the task role the checkpoint key's only.
    const byRole = (role: string) =>
      resourcesOf(out, "aws_iam_role_policy")
        .filter((p) => p.role === `\${aws_iam_role.${role}.id}`)
        .map((p) => p.name as string);
    expect(byRole("svc_execution_role")).not.toEqual(
      expect.arrayContaining([expect.stringContaining("checkpoint")]),
    );
    expect(secretStatements(out)).toEqual([
      {
        sid: "ReadAuthTokenSecret",
        effect: "Allow",
        actions: ["secretsmanager:GetSecretValue"],
        resources: ["${one(aws_secretsmanager_secret.tok_secret[*].arn)}"],
      },
      {
        sid: "ReadCheckpointKey",
        effect: "Allow",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [CREATED_ARN],
      },
    ]);
    expect(checkPolicies(parse(out))).toEqual([]);
    // Without sessions the task role gets nothing for the key.
    const off = fargateWith({ create: true, sessions: { create: false } });
    expect(off).not.toContain("MCP_CHECKPOINT_KEY");
    expect(policyNamed(off, "workspace-checkpoint-key")).toBeUndefined();
  });
});
