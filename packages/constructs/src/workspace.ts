/**
 * Optional workspace bucket (MCP_WORKSPACE_BUCKET, MCP_WORKSPACE_PREFIX): an S3 bucket for files
 * that outlive an execution environment. Created here (encrypted, public access blocked, owner
 * enforced, TLS only, versioned, objects expiring) or an existing one; either way the role it is
 * granted to may read, write and list only under the prefix.
 */
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { S3BucketVersioningA as S3BucketVersioning } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { AwsContext } from "./aws-context.js";
import { and, isSet, named, not, NULL, or, pick, ref, rolePolicy, when, type Cond } from "./util.js";

export interface McpWorkspaceProps {
  /** Name prefix of a created bucket. */
  readonly name: string;
  /** Create a bucket (default false). */
  readonly create?: Cond;
  /** Name of an existing bucket to use instead. */
  readonly bucketName?: string;
  /** Key prefix the server may use, e.g. "workspaces/" (default, as the handler's). */
  readonly prefix?: string;
  /** Generated outputs (prefix + "outputs/") expire after this many days (created bucket; default 7). */
  readonly expirationDays?: number;
  /** KMS key for the bucket (created) or that encrypts it (existing); SSE-S3 when unset. */
  readonly kmsKeyArn?: string;
  readonly forceDestroy?: Cond;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class McpWorkspace extends Construct {
  readonly enabled: Cond;
  readonly bucket?: S3Bucket;
  /** The bucket in use (created or given); null when disabled. */
  readonly bucketName: string;
  readonly prefix: string;
  /** MCP_WORKSPACE_BUCKET / MCP_WORKSPACE_PREFIX when enabled, else an empty map. */
  readonly environment: Record<string, string>;
  private readonly usesKms: Cond;
  private readonly kmsKeyArn?: string;
  private readonly ctx: AwsContext;

  constructor(scope: Construct, id: string, props: McpWorkspaceProps) {
    super(scope, id);
    this.ctx = props.context;
    const hasExisting = named(this, "has_bucket_name", isSet(props.bucketName));
    const create = named(this, "create_bucket", and(props.create ?? false, not(hasExisting)));
    this.enabled = named(this, "enabled", or(create, hasExisting));
    this.prefix = props.prefix ?? "workspaces/";
    this.kmsKeyArn = props.kmsKeyArn;
    const hasKms = isSet(props.kmsKeyArn);
    this.usesKms = and(this.enabled, hasKms);

    this.bucket = when(create, (count) => {
      const bucket = new S3Bucket(this, "bucket", {
        count,
        bucketPrefix: `${props.name}-workspace-`,
        forceDestroy: props.forceDestroy ?? false,
        tags: props.tags,
      });
      const id = ref(bucket, "id");
      new S3BucketPublicAccessBlock(this, "public-access", {
        count,
        bucket: id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      new S3BucketOwnershipControls(this, "ownership", {
        count,
        bucket: id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
      });
      new S3BucketServerSideEncryptionConfiguration(this, "encryption", {
        count,
        bucket: id,
        rule: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: pick(hasKms, "aws:kms", "AES256"),
              kmsMasterKeyId: pick(hasKms, props.kmsKeyArn ?? "", NULL),
            },
            bucketKeyEnabled: true,
          },
        ],
      });
      new S3BucketVersioning(this, "versioning", {
        count,
        bucket: id,
        versioningConfiguration: { status: "Enabled" },
      });
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        count,
        bucket: id,
        // Files are uploaded only when they change, so expiring them would silently lose old work;
        // only generated outputs (behind presigned links) expire.
        rule: [
          {
            id: "expire-outputs",
            status: "Enabled",
            filter: [{ prefix: `${this.prefix}outputs/` }],
            expiration: [{ days: props.expirationDays ?? 7 }],
          },
          {
            id: "old-versions-and-uploads",
            status: "Enabled",
            filter: [{ prefix: this.prefix }],
            noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
          },
        ],
      });
      const tlsOnly = new DataAwsIamPolicyDocument(this, "tls-only", {
        count,
        statement: [
          {
            sid: "DenyInsecureTransport",
            effect: "Deny",
            actions: ["s3:*"],
            principals: [{ type: "*", identifiers: ["*"] }],
            resources: [ref(bucket, "arn"), `${ref(bucket, "arn")}/*`],
            condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
          },
        ],
      });
      new S3BucketPolicy(this, "policy", { count, bucket: id, policy: ref(tlsOnly, "json") });
      return bucket;
    });

    const created = this.bucket ? ref(this.bucket, "id") : NULL;
    this.bucketName = pick(this.enabled, pick(hasExisting, props.bucketName ?? "", created), NULL);
    this.environment = pick<Record<string, string>>(
      this.enabled,
      { MCP_WORKSPACE_BUCKET: this.bucketName, MCP_WORKSPACE_PREFIX: this.prefix },
      {},
    );
  }

  /** Lets `role` read, write, delete and list objects under the prefix, and nothing else. */
  grant(scope: Construct, name: string, role: { id: string }): void {
    const bucketArn = `arn:${this.ctx.partition}:s3:::${this.bucketName}`;
    rolePolicy(scope, name, role, this.enabled, [
      {
        sid: "WorkspaceObjects",
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: [`${bucketArn}/${this.prefix}*`],
      },
      {
        sid: "WorkspaceList",
        actions: ["s3:ListBucket"],
        resources: [bucketArn],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${this.prefix}*`] }],
      },
    ]);
    if (this.kmsKeyArn !== undefined) {
      rolePolicy(scope, `${name}-kms`, role, this.usesKms, [
        { sid: "WorkspaceKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [this.kmsKeyArn] },
      ]);
    }
  }
}
