import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { checkPolicies } from "../src/policy.js";
import { SESSION_TABLE_ACTIONS } from "../src/sessions.js";
import {
  boolVar,
  fargateWith,
  lambdaEnv as env,
  lambdaWith,
  parse,
  resourcesOf,
  statements,
  statementsFor,
  stringVar,
  type Json,
  type WorkspaceOptions,
} from "./helpers.js";

const TABLE_ARN = "${one(aws_dynamodb_table.ws_sessions_table[*].arn)}";
const PARTITION = "${data.aws_partition.ctx_partition.partition}";

/** Every Allow statement that names a DynamoDB action. */
const dynamodbStatements = (out: string) => statementsFor(out, "dynamodb:");

describe("McpWorkspace sessions (McpSessionTable)", () => {
  it("with a created bucket: a table on demand, pk (S), TTL on expiresAt, encrypted, PITR, protected, tagged", () => {
    const out = lambdaWith({ create: true, tags: { team: "platform" } });
    expect(out).toHaveResourceWithProperties(DynamodbTable, {
      name: "mcp-sessions",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "pk",
      attribute: [{ name: "pk", type: "S" }],
      ttl: { attribute_name: "expiresAt", enabled: true },
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
      deletion_protection_enabled: true,
      tags: { team: "platform" },
    });
    const table = resourcesOf(out, "aws_dynamodb_table")[0]!;
    expect(table).not.toHaveProperty("range_key");
    expect(table).not.toHaveProperty("count");
    expect(env(out)).toContain('"MCP_SESSION_TABLE" = one(aws_dynamodb_table.ws_sessions_table[*].name)');
    expect(checkPolicies(parse(out))).toEqual([]);
  });

  it("without a workspace bucket: no table, no MCP_SESSION_TABLE, no session permissions", () => {
    for (const options of [{}, { sessions: { tableName: "leases" } }] as WorkspaceOptions[]) {
      const out = lambdaWith(options);
      expect(out).not.toHaveResource(S3Bucket);
      expect(out).not.toHaveResource(DynamodbTable);
      expect(env(out)).not.toContain("MCP_SESSION_TABLE");
      expect(dynamodbStatements(out)).toEqual([]);
      expect(statements(out).find((x) => x.sid === "SessionCheckpoints")).toBeUndefined();
    }
  });

  it("turned off: the workspace stays, no table, no env, no session permissions", () => {
    const out = lambdaWith({ create: true, sessions: { create: false } });
    expect(out).toHaveResource(S3Bucket);
    expect(out).not.toHaveResource(DynamodbTable);
    expect(env(out)).toContain("MCP_WORKSPACE_BUCKET");
    expect(env(out)).not.toContain("MCP_SESSION_TABLE");
    expect(dynamodbStatements(out)).toEqual([]);
    expect(resourcesOf(out, "aws_iam_role_policy").map((p) => p.name)).toEqual(["logs", "workspace"]);
  });

  it("IAM: only GetItem, PutItem, UpdateItem, DeleteItem, on exactly the table's ARN; S3 on sessions/ only", () => {
    const out = lambdaWith({ create: true });
    const leases = dynamodbStatements(out);
    expect(leases).toEqual([
      {
        sid: "SessionLeases",
        effect: "Allow",
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        resources: [TABLE_ARN],
      },
    ]);
    expect(SESSION_TABLE_ACTIONS).not.toEqual(expect.arrayContaining(["dynamodb:Scan"]));
    expect(SESSION_TABLE_ACTIONS).not.toEqual(expect.arrayContaining(["dynamodb:Query"]));
    const bucket = `arn:${PARTITION}:s3:::\${one(aws_s3_bucket.ws_bucket[*].id)}`;
    const byId = (sid: string) => statements(out).find((x) => x.sid === sid)!;
    expect(byId("SessionCheckpoints")).toMatchObject({
      actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: [`${bucket}/workspaces/sessions/*`],
    });
    expect(byId("SessionCheckpointList")).toMatchObject({
      actions: ["s3:ListBucket"],
      resources: [bucket],
      condition: [{ test: "StringLike", variable: "s3:prefix", values: ["workspaces/sessions/*"] }],
    });
    // One inline policy per feature, on the function's role.
    const policy = resourcesOf(out, "aws_iam_role_policy").find((p) => p.name === "workspace-sessions")!;
    expect(policy.role).toBe("${aws_iam_role.fn_role.id}");
    expect(policy.policy).toBe("${data.aws_iam_policy_document.fn_workspace_sessions_policy.json}");
  });

  it("the lifecycle rule that expires outputs/ never expires sessions/ (or files/)", () => {
    const out = lambdaWith({ create: true, prefix: "mcp/" });
    const rules = resourcesOf(out, "aws_s3_bucket_lifecycle_configuration")[0]!.rule as Json[];
    const expiring = rules.filter((r) => r.expiration !== undefined);
    expect(expiring.map((r) => r.filter)).toEqual([[{ prefix: "mcp/outputs/" }]]);
    for (const r of expiring) {
      const prefix = r.filter[0].prefix as string;
      expect("mcp/sessions/x".startsWith(prefix)).toBe(false);
      expect("mcp/files/x".startsWith(prefix)).toBe(false);
    }
    // Only noncurrent versions and incomplete uploads go under the whole prefix.
    const whole = rules.find((r) => r.filter[0].prefix === "mcp/")!;
    expect(whole).not.toHaveProperty("expiration");
    expect(whole.noncurrent_version_expiration).toEqual([{ noncurrent_days: 7 }]);
  });

  it("an existing table: none created, env names it, access to its ARN in this account and region", () => {
    const out = lambdaWith({ bucketName: "shared", sessions: { tableName: "leases" } });
    expect(out).not.toHaveResource(DynamodbTable);
    expect(env(out)).toContain('"MCP_SESSION_TABLE" = "leases"');
    expect(dynamodbStatements(out)[0]!.resources).toEqual([
      `arn:${PARTITION}:dynamodb:\${data.aws_region.ctx_region.region}:\${data.aws_caller_identity.ctx_caller.account_id}:table/leases`,
    ]);
  });

  it("KMS: a customer managed key encrypts the table; the role may use it through DynamoDB only", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/k";
    const out = lambdaWith({ create: true, sessions: { kmsKeyArn: key, deletionProtection: false } });
    expect(out).toHaveResourceWithProperties(DynamodbTable, {
      server_side_encryption: { enabled: true, kms_key_arn: key },
      deletion_protection_enabled: false,
    });
    const st = statements(out).find((x) => x.sid === "SessionTableKey")!;
    expect(st.actions).toEqual(["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]);
    expect(st.resources).toEqual([key]);
    expect(st.condition).toEqual([
      {
        test: "StringEquals",
        variable: "kms:ViaService",
        values: ["dynamodb.${data.aws_region.ctx_region.region}.amazonaws.com"],
      },
    ]);
    // Without a key, no KMS statement: the AWS managed key needs no permission on the role.
    expect(statements(lambdaWith({ create: true })).find((x) => x.sid === "SessionTableKey")).toBeUndefined();
  });

  it("plan-time options: the table, the policy and the env are conditional on named locals", () => {
    const out = lambdaWith((s) => ({
      create: boolVar(s, "ws_create"),
      bucketName: stringVar(s, "ws_bucket"),
      sessions: {
        create: boolVar(s, "sessions_create", true),
        tableName: stringVar(s, "sessions_table"),
        deletionProtection: boolVar(s, "protect", true),
      },
    }));
    const locals = parse(out).locals as Record<string, string>;
    expect(locals.ws_sessions_create_table).toBe(
      "${(local.ws_enabled && (var.sessions_create && !local.ws_sessions_has_table_name))}",
    );
    expect(locals.ws_sessions_enabled).toBe(
      "${(local.ws_sessions_create_table || local.ws_sessions_has_table_name)}",
    );
    const table = resourcesOf(out, "aws_dynamodb_table")[0]!;
    expect(table.count).toBe("${local.ws_sessions_create_table ? 1 : 0}");
    expect(table.deletion_protection_enabled).toBe("${var.protect}");
    const policy = resourcesOf(out, "aws_iam_role_policy").find((p) => p.name === "workspace-sessions")!;
    expect(policy.count).toBe("${local.ws_sessions_enabled ? 1 : 0}");
    expect(env(out)).toContain('local.ws_sessions_enabled ? {"MCP_SESSION_TABLE" = ');
    expect(checkPolicies(parse(out))).toEqual([]);
  });

  it("on Fargate: the task role takes leases, the execution role does not; MCP_SESSION_TABLE in the task", () => {
    const out = fargateWith({ create: true });
    const sessions = resourcesOf(out, "aws_iam_role_policy").filter((p) => p.name === "workspace-sessions");
    expect(sessions.map((p) => p.role)).toEqual(["${aws_iam_role.svc_task_role.id}"]);
    expect(dynamodbStatements(out).map((x) => x.resources)).toEqual([[TABLE_ARN]]);
    const map = parse(out).locals.svc_environment_map as string;
    expect(map).toContain('"MCP_SESSION_TABLE" = one(aws_dynamodb_table.ws_sessions_table[*].name)');
    expect(checkPolicies(parse(out))).toEqual([]);
  });
});
