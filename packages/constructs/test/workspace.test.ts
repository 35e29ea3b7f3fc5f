import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
import { TerraformVariable } from "cdktf";
import { BUCKET_PREFIX_MAX, bucketPrefixProblem, defaultBucketPrefix } from "../src/bucket-prefix.js";
import { McpWorkspace } from "../src/workspace.js";
import { checkPolicies } from "../src/policy.js";
import {
  boolVar,
  fargateWith,
  lambdaEnv,
  lambdaWith,
  parse,
  resourcesOf,
  statements,
  stringVar,
  synth,
} from "./helpers.js";

describe("McpWorkspace", () => {
  it("creates nothing by default", () => {
    const out = lambdaWith({});
    expect(out).not.toHaveResource(S3Bucket);
    expect(statements(out).find((x) => x.sid === "WorkspaceObjects")).toBeUndefined();
    expect(lambdaEnv(out)).not.toContain("MCP_WORKSPACE");
  });

  it("a created bucket: public access blocked, encrypted, versioned, expiring, TLS only", () => {
    const out = lambdaWith({ create: true, expirationDays: 14 });
    expect(out).toHaveResourceWithProperties(S3Bucket, {
      bucket_prefix: "mcp-workspace-",
      force_destroy: false,
    });
    expect(out).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(out).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [
        expect.objectContaining({
          apply_server_side_encryption_by_default: expect.objectContaining({ sse_algorithm: "AES256" }),
        }),
      ],
    });
    expect(out).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: "Enabled" },
    });
    expect(out).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [
        expect.objectContaining({ filter: [{ prefix: "workspaces/outputs/" }], expiration: [{ days: 14 }] }),
        expect.not.objectContaining({ expiration: expect.anything() }),
      ],
    });
    const deny = statements(out).find((x) => x.sid === "DenyInsecureTransport")!;
    expect(deny.effect).toBe("Deny");
    const env = resourcesOf(out, "aws_lambda_function")[0]!.environment.variables as string;
    expect(env).toContain('"MCP_WORKSPACE_BUCKET" = one(aws_s3_bucket.ws_bucket[*].id)');
    expect(env).toContain('"MCP_WORKSPACE_PREFIX" = "workspaces/"');
    expect(checkPolicies(parse(out))).toEqual([]);
  });

  it("the role may use the handler's trees under the prefix only: files/ and outputs/, listing files/", () => {
    const out = lambdaWith({ bucketName: "shared-bucket", prefix: "mcp/" });
    expect(out).not.toHaveResource(S3Bucket);
    const objects = statements(out).find((x) => x.sid === "WorkspaceObjects")!;
    expect(objects.actions).toEqual(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]);
    expect(objects.resources).toEqual([
      "arn:${data.aws_partition.ctx_partition.partition}:s3:::shared-bucket/mcp/files/*",
      "arn:${data.aws_partition.ctx_partition.partition}:s3:::shared-bucket/mcp/outputs/*",
    ]);
    const list = statements(out).find((x) => x.sid === "WorkspaceList")!;
    expect(list.resources).toEqual(["arn:${data.aws_partition.ctx_partition.partition}:s3:::shared-bucket"]);
    expect(list.condition).toEqual([{ test: "StringLike", variable: "s3:prefix", values: ["mcp/files/*"] }]);
    // sessions/ is granted by the sessions policy (on by default), not by the workspace's.
    const checkpoints = statements(out).find((x) => x.sid === "SessionCheckpoints")!;
    expect(checkpoints.resources).toEqual([
      "arn:${data.aws_partition.ctx_partition.partition}:s3:::shared-bucket/mcp/sessions/*",
    ]);
    const all = statements(out).flatMap((x) => x.resources ?? []) as string[];
    expect(
      all.filter((r) => r.includes("shared-bucket/") && !/\/mcp\/(files|outputs|sessions)\/\*$/.test(r)),
    ).toEqual([]);
  });

  it("KMS: the bucket uses the key and the role may use it", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/k";
    const out = lambdaWith((s) => ({ create: boolVar(s, "ws_create"), kmsKeyArn: key }));
    expect(resourcesOf(out, "aws_s3_bucket")[0]!.count).toBe("${local.ws_create_bucket ? 1 : 0}");
    expect(out).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [
        expect.objectContaining({
          apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: key },
        }),
      ],
    });
    expect(statements(out).find((x) => x.sid === "WorkspaceKey")!.resources).toEqual([key]);
  });

  it("on Fargate the task role (not the execution role) gets the access", () => {
    const out = fargateWith({ create: true });
    const policy = resourcesOf(out, "aws_iam_role_policy").find((p) => p.name === "workspace")!;
    expect(policy.role).toBe("${aws_iam_role.svc_task_role.id}");
    expect(JSON.parse(out).locals.svc_environment_map).toContain("MCP_WORKSPACE_BUCKET");
  });

  it("bucket_prefix: what S3 and the provider accept (37 characters, lowercase, digits, hyphens, dots)", () => {
    // Derived from the name: lowercased, "_" as "-", cut to 26 + "-workspace-" (11) = 37 at most.
    expect(defaultBucketPrefix("mcp")).toBe("mcp-workspace-");
    const long = defaultBucketPrefix(`My_Function_${"x".repeat(44)}`);
    expect(long).toBe("my-function-xxxxxxxxxxxxxx-workspace-");
    expect(long.length).toBe(BUCKET_PREFIX_MAX);
    expect(bucketPrefixProblem(long)).toBeUndefined();
    for (const [bad, why] of [
      ["a".repeat(38), /longer than 37/],
      ["Upper-", /lowercase/],
      ["under_score-", /lowercase/],
      ["-leading", /starting with a letter or digit/],
      ["two..dots-", /".."/],
      ["xn--punycode-", /reserved "xn--"/],
      ["sthree-x-", /reserved "sthree-"/],
    ] as const) {
      expect(bucketPrefixProblem(bad)).toMatch(why);
    }
    const out = synth((s, context) => {
      new McpWorkspace(s, "ws", { name: "Mcp_Server", create: true, context });
    });
    expect(resourcesOf(out, "aws_s3_bucket")[0]!.bucket_prefix).toBe("mcp-server-workspace-");
    expect(() =>
      synth(
        (s, context) =>
          new McpWorkspace(s, "ws", { name: "mcp", bucketPrefix: "Bad_Prefix", create: true, context }),
      ),
    ).toThrow(/workspace bucket prefix "Bad_Prefix" is not only lowercase/);
  });

  it("bucket_prefix at plan time: derived in Terraform and checked by a precondition on the bucket", () => {
    const out = synth((s, context) => {
      const name = new TerraformVariable(s, "name", { type: "string" }).stringValue;
      new McpWorkspace(s, "ws", { name, bucketPrefix: stringVar(s, "prefix"), create: true, context });
    });
    expect(parse(out).locals.ws_bucket_prefix).toBe(
      '${(length(compact([var.prefix])) >= 1) ? var.prefix : "${substr(lower(replace(var.name, "_", "-")), 0, 26)}-workspace-"}',
    );
    const bucket = resourcesOf(out, "aws_s3_bucket")[0]!;
    expect(bucket.bucket_prefix).toBe("${local.ws_bucket_prefix}");
    const [pre] = bucket.lifecycle.precondition;
    expect(pre.condition).toBe(
      '${length(local.ws_bucket_prefix) <= 37 && can(regex("^[a-z0-9][a-z0-9.-]*$", local.ws_bucket_prefix)) && !strcontains(local.ws_bucket_prefix, "..") && !startswith(local.ws_bucket_prefix, "xn--") && !startswith(local.ws_bucket_prefix, "sthree-") && !startswith(local.ws_bucket_prefix, "amzn-s3-demo-")}',
    );
    expect(pre.error_message).toMatch(/at most 37 characters/);
  });
});
