/**
 * Optional workspace bucket (MCP_WORKSPACE_BUCKET, MCP_WORKSPACE_PREFIX): an S3 bucket for files
 * that outlive an execution environment. Created here (encrypted, public access blocked, owner
 * enforced, TLS only, versioned, generated outputs expiring) or an existing one. With it, by
 * default, sessions: a DynamoDB lease table (MCP_SESSION_TABLE, see sessions.ts) and kernel
 * checkpoints under `<prefix>sessions/`. The role it is granted to may use the handler's three
 * trees under the prefix (`files/`, `outputs/`, and `sessions/` when sessions are on), the one
 * table and the one secret holding the checkpoint key, nothing else.
 */
import { Construct } from "constructs";
import { Fn, TerraformLocal, Token, type Precondition } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { S3BucketVersioningA as S3BucketVersioning } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { AwsContext } from "./aws-context.js";
import {
  bucketPrefixCondition,
  bucketPrefixProblem,
  BUCKET_PREFIX_RULE,
  defaultBucketPrefix,
} from "./bucket-prefix.js";
import { McpSessionTable, type McpSessionOptions } from "./sessions.js";
import {
  and,
  isSet,
  named,
  not,
  NULL,
  or,
  pick,
  ref,
  rolePolicy,
  when,
  type Cond,
  type RoleTarget,
} from "./util.js";

export interface McpWorkspaceProps {
  /** The module's name: a created bucket's name prefix derives from it (see bucket-prefix.ts). */
  readonly name: string;
  /**
   * Name prefix of a created bucket (at most 37 characters, what S3 accepts); unset or null:
   * `<name, lowercased, cut to 26>-workspace-`.
   */
  readonly bucketPrefix?: string;
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
  /**
   * Sessions that outlive the process: a lease table (created by default whenever the workspace
   * is on, or an existing one) and checkpoints under prefix + "sessions/", which never expire.
   */
  readonly sessions?: McpSessionOptions;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

/** The handler's key layout under the prefix: `<tree>/<caller>/...`. */
export const WORKSPACE_TREES = { files: "files/", outputs: "outputs/", sessions: "sessions/" } as const;

export class McpWorkspace extends Construct {
  readonly enabled: Cond;
  readonly bucket?: S3Bucket;
  /** The bucket in use (created or given); null when disabled. */
  readonly bucketName: string;
  readonly prefix: string;
  /** The session lease table (enabled only with the workspace). */
  readonly sessions: McpSessionTable;
  /**
   * MCP_WORKSPACE_BUCKET / MCP_WORKSPACE_PREFIX when enabled, MCP_SESSION_TABLE and
   * MCP_CHECKPOINT_KEY_SECRET_ARN when sessions are on, else an empty map.
   */
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

    const bucketPrefix = this.bucketPrefixOf(props);
    this.bucket = when(create, (count) => {
      const bucket = new S3Bucket(this, "bucket", {
        count,
        bucketPrefix: bucketPrefix.value,
        forceDestroy: props.forceDestroy ?? false,
        tags: props.tags,
        lifecycle: bucketPrefix.precondition ? { precondition: [bucketPrefix.precondition] } : undefined,
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
        // Files are uploaded only when they change, so expiring them would silently lose old work,
        // and sessions/ holds the checkpoints that let a kernel outlive its process: only generated
        // outputs (behind presigned links) expire. Old versions of everything go after 7 days.
        rule: [
          {
            id: "expire-outputs",
            status: "Enabled",
            filter: [{ prefix: `${this.prefix}${WORKSPACE_TREES.outputs}` }],
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

    this.sessions = new McpSessionTable(this, "sessions", {
      ...props.sessions,
      name: props.name,
      workspaceEnabled: this.enabled,
      tags: props.tags,
      context: this.ctx,
    });

    const workspaceEnv = pick<Record<string, string>>(
      this.enabled,
      { MCP_WORKSPACE_BUCKET: this.bucketName, MCP_WORKSPACE_PREFIX: this.prefix },
      {},
    );
    const sessionEnv = this.sessions.environment;
    this.environment =
      Token.isUnresolved(workspaceEnv) || Token.isUnresolved(sessionEnv)
        ? Token.asStringMap(Fn.merge([workspaceEnv, sessionEnv]))
        : { ...workspaceEnv, ...sessionEnv };
  }

  /**
   * The created bucket's name prefix, checked against what S3 accepts: at synth time when it is a
   * literal, else by a precondition on the bucket (a plan-time name or workspace_bucket_prefix).
   */
  private bucketPrefixOf(props: McpWorkspaceProps): { value: string; precondition?: Precondition } {
    const given = props.bucketPrefix;
    const value =
      given === undefined
        ? defaultBucketPrefix(props.name)
        : pick(isSet(given), given, defaultBucketPrefix(props.name));
    if (!Token.isUnresolved(value)) {
      const problem = bucketPrefixProblem(value);
      if (problem)
        throw new Error(`workspace bucket prefix "${value}" is ${problem}; it must be ${BUCKET_PREFIX_RULE}`);
      return { value };
    }
    // A local, so that the condition names it (local.ws_bucket_prefix) rather than repeating it.
    const local = new TerraformLocal(this, "bucket_prefix", value).asString;
    return {
      value: local,
      precondition: {
        condition: `\${${bucketPrefixCondition(local)}}`,
        errorMessage: `The workspace bucket's name prefix (workspace_bucket_prefix, or the name lowercased and cut to 26 characters + "-workspace-") must be ${BUCKET_PREFIX_RULE}. Set workspace_bucket_prefix.`,
      },
    };
  }

  /**
   * Lets `role` get, put and delete objects in the handler's trees under the prefix (`files/` and
   * `outputs/`; `sessions/` with sessions on), list `files/` (and `sessions/`), and take leases in the
   * session table, and read the checkpoint key's secret; nothing else. One inline policy per feature:
   * `<name>` for the workspace, `<name>-sessions` for sessions, `<name>-checkpoint-key` for the key's
   * secret, `-kms` policies for customer managed keys.
   */
  grant(scope: Construct, name: string, role: RoleTarget): void {
    const bucketArn = `arn:${this.ctx.partition}:s3:::${this.bucketName}`;
    const tree = (t: keyof typeof WORKSPACE_TREES) => `${this.prefix}${WORKSPACE_TREES[t]}`;
    rolePolicy(scope, name, role, this.enabled, [
      {
        sid: "WorkspaceObjects",
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: [`${bucketArn}/${tree("files")}*`, `${bucketArn}/${tree("outputs")}*`],
      },
      {
        sid: "WorkspaceList",
        actions: ["s3:ListBucket"],
        resources: [bucketArn],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${tree("files")}*`] }],
      },
    ]);
    if (this.kmsKeyArn !== undefined) {
      rolePolicy(scope, `${name}-kms`, role, this.usesKms, [
        { sid: "WorkspaceKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [this.kmsKeyArn] },
      ]);
    }
    const sessions = this.sessions;
    rolePolicy(scope, `${name}-sessions`, role, sessions.enabled, [
      sessions.leaseStatement(),
      {
        sid: "SessionCheckpoints",
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: [`${bucketArn}/${tree("sessions")}*`],
      },
      {
        sid: "SessionCheckpointList",
        actions: ["s3:ListBucket"],
        resources: [bucketArn],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${tree("sessions")}*`] }],
      },
    ]);
    const kms = sessions.kmsStatement();
    if (kms) rolePolicy(scope, `${name}-sessions-kms`, role, sessions.usesKms, [kms]);
    // The server reads the checkpoint key at start with this same role (never an ECS execution role:
    // ECS would put it into the container's environment, see checkpoint-key.ts).
    const key = sessions.checkpointKey;
    rolePolicy(scope, `${name}-checkpoint-key`, role, key.enabled, [key.readStatement()]);
    const keyKms = key.kmsStatement();
    if (keyKms) rolePolicy(scope, `${name}-checkpoint-key-kms`, role, key.usesKms, [keyKms]);
  }
}
