/**
 * Session leases (MCP_SESSION_TABLE): a DynamoDB table in which the handler keeps one item per
 * caller (string partition key `pk`), taken and released with conditional writes and expiring
 * through the TTL attribute `expiresAt` (epoch seconds). The checkpoints themselves live in the
 * workspace bucket under `<prefix>sessions/<caller>/`; the table only says who holds a caller's
 * session and at which version. So sessions exist only with a workspace bucket, and are on by
 * default with one. Created here (on demand, TTL, encrypted, point-in-time recovery, deletion
 * protection) or an existing table; either way the role it is granted to may get, put, update and
 * delete items of that one table, and nothing else. With sessions on, the server also needs the key
 * that signs the checkpoints (MCP_CHECKPOINT_KEY_SECRET_ARN): a created secret or a given one, see
 * checkpoint-key.ts.
 */
import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import type { AwsContext } from "./aws-context.js";
import { McpCheckpointKey, type McpCheckpointKeyOptions } from "./checkpoint-key.js";
import { and, isSet, named, not, NULL, or, pick, ref, when, type Cond, type Statement } from "./util.js";

/** The partition key and TTL attribute the handler uses (its contract with the table). */
export const SESSION_TABLE_KEY = "pk";
export const SESSION_TABLE_TTL_ATTRIBUTE = "expiresAt";

/**
 * What a lease needs: read the item, and create, update or delete it with a condition expression
 * (conditional writes are PutItem/UpdateItem/DeleteItem with ConditionExpression; no extra action).
 * No Scan, Query, batch or transaction actions: the handler addresses one caller's item by key.
 */
export const SESSION_TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
];

/** Session options of a workspace (McpWorkspaceProps.sessions). */
export interface McpSessionOptions {
  /** Create a table when the workspace is on and no `tableName` is given (default true). */
  readonly create?: Cond;
  /** Name of an existing table to use instead (partition key `pk` of type S, TTL on `expiresAt`). */
  readonly tableName?: string;
  /**
   * Customer managed KMS key: encrypts a created table, or is the key an existing one uses (the role
   * may use it through DynamoDB only). Unset: the AWS managed key `aws/dynamodb`.
   */
  readonly kmsKeyArn?: string;
  /** Deletion protection of a created table (default true). */
  readonly deletionProtection?: Cond;
  /**
   * The key that signs checkpoints: a secret created with a random value whenever sessions are on,
   * unless `secretArn` names an existing one.
   */
  readonly checkpointKey?: McpCheckpointKeyOptions;
}

export interface McpSessionTableProps extends McpSessionOptions {
  /** Name prefix of a created table (`<name>-sessions`). */
  readonly name: string;
  /** Whether sessions can exist at all: the workspace bucket is on. */
  readonly workspaceEnabled: Cond;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class McpSessionTable extends Construct {
  /** A table is in use (created or given) and the workspace is on. */
  readonly enabled: Cond;
  readonly table?: DynamodbTable;
  /** The table in use; null when disabled. */
  readonly tableName: string;
  /** Its ARN; null when disabled. */
  readonly tableArn: string;
  /** The checkpoint signing key (a secret exactly when sessions are on). */
  readonly checkpointKey: McpCheckpointKey;
  /** MCP_SESSION_TABLE and MCP_CHECKPOINT_KEY_SECRET_ARN when enabled, else an empty map. */
  readonly environment: Record<string, string>;
  /** The role needs the customer managed key (a key is given and sessions are on). */
  readonly usesKms: Cond;
  readonly kmsKeyArn?: string;
  private readonly ctx: AwsContext;

  constructor(scope: Construct, id: string, props: McpSessionTableProps) {
    super(scope, id);
    this.ctx = props.context;
    const hasExisting = named(this, "has_table_name", and(props.workspaceEnabled, isSet(props.tableName)));
    const create = named(
      this,
      "create_table",
      and(props.workspaceEnabled, and(props.create ?? true, not(hasExisting))),
    );
    this.enabled = named(this, "enabled", or(create, hasExisting));
    this.kmsKeyArn = props.kmsKeyArn;
    const hasKms = isSet(props.kmsKeyArn);
    this.usesKms = and(this.enabled, hasKms);

    this.table = when(
      create,
      (count) =>
        new DynamodbTable(this, "table", {
          count,
          name: `${props.name}-sessions`,
          billingMode: "PAY_PER_REQUEST",
          hashKey: SESSION_TABLE_KEY,
          attribute: [{ name: SESSION_TABLE_KEY, type: "S" }],
          ttl: { attributeName: SESSION_TABLE_TTL_ATTRIBUTE, enabled: true },
          // enabled = true is KMS encryption: the AWS managed key aws/dynamodb unless a customer
          // managed key is given (enabled = false would be the AWS owned key, which no role or
          // CloudTrail sees). The AWS managed key needs no permission on the role.
          serverSideEncryption: {
            enabled: true,
            kmsKeyArn: hasKms === false ? undefined : pick(hasKms, props.kmsKeyArn ?? "", NULL),
          },
          pointInTimeRecovery: { enabled: true },
          deletionProtectionEnabled: props.deletionProtection ?? true,
          tags: props.tags,
        }),
    );

    const existingArn = `arn:${this.ctx.partition}:dynamodb:${this.ctx.region}:${this.ctx.accountId}:table/${props.tableName ?? ""}`;
    const created = (attr: string) => (this.table ? ref(this.table, attr) : NULL);
    this.tableName = pick(this.enabled, pick(hasExisting, props.tableName ?? "", created("name")), NULL);
    this.tableArn = pick(this.enabled, pick(hasExisting, existingArn, created("arn")), NULL);
    this.checkpointKey = new McpCheckpointKey(this, "checkpoint_key", {
      ...props.checkpointKey,
      name: props.name,
      enabled: this.enabled,
      tags: props.tags,
      context: this.ctx,
    });
    this.environment = pick<Record<string, string>>(
      this.enabled,
      { MCP_SESSION_TABLE: this.tableName, ...this.checkpointKey.environment },
      {},
    );
  }

  /** The statement that lets a role take and release leases in this table, and nothing else. */
  leaseStatement(): Statement {
    return { sid: "SessionLeases", actions: [...SESSION_TABLE_ACTIONS], resources: [this.tableArn] };
  }

  /** The statement for a customer managed key, usable through DynamoDB in this region only. */
  kmsStatement(): Statement | undefined {
    if (this.kmsKeyArn === undefined) return undefined;
    return {
      sid: "SessionTableKey",
      actions: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
      resources: [this.kmsKeyArn],
      condition: [
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: [`dynamodb.${this.ctx.region}.amazonaws.com`],
        },
      ],
    };
  }
}
