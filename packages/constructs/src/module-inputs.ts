/**
 * Variables shared by the module stacks, declared once so their names, types, descriptions and
 * validation rules are the same in every module.
 */
import { Fn, TerraformLocal, type IResolvable } from "cdktf";
import { bucketPrefixCondition, BUCKET_PREFIX_RULE } from "./bucket-prefix.js";
import { rule, type ModuleStack } from "./module-stack.js";

/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** HCL regexes of the ARNs the modules take (for optionalString's `pattern`). */
export const ARN_PATTERNS = {
  kms: "^arn:aws[a-z-]*:kms:",
  secretsmanager: "^arn:aws[a-z-]*:secretsmanager:",
  acm: "^arn:aws[a-z-]*:acm:",
  iamRole: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
  iamPolicy: "^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$",
} as const;

export interface OptionalStringSpec {
  readonly description: string;
  /** An HCL regex the value must match when set, e.g. ARN_PATTERNS.kms. */
  readonly pattern?: string;
  /** The error when it does not. */
  readonly message?: string;
}

/**
 * An optional string input, unset by default: `default = null`, as terraform-aws-modules do, so a
 * caller passing `null` (e.g. an unset variable of its own) gets the default behaviour. "" is
 * accepted as unset too, for callers of earlier versions; the constructs treat both alike (isSet).
 */
export function optionalString(stack: ModuleStack, name: string, spec: OptionalStringSpec): string {
  const pattern = spec.pattern;
  return stack.variable(name, {
    type: "string",
    default: null,
    description: spec.description,
    validation:
      pattern === undefined
        ? undefined
        : [
            rule(
              `var.${name} == null ? true : (var.${name} == "" || can(regex(${JSON.stringify(pattern)}, var.${name})))`,
              spec.message ?? `${name} is not valid.`,
            ),
          ],
  }).stringValue;
}

export function tagsVariable(stack: ModuleStack): Record<string, string> {
  return stack.variable("tags", {
    type: "map(string)",
    default: {},
    description: "Tags for every resource that takes them.",
  }).value as Record<string, string>;
}

export function logVariables(stack: ModuleStack): { retentionDays: number; kmsKeyArn: string } {
  const retention = stack.variable("cloudwatch_logs_retention_in_days", {
    type: "number",
    default: 30,
    description: "How long CloudWatch Logs keeps the log groups' events, in days.",
    validation: [
      rule(
        `contains([${LOG_RETENTION_DAYS.join(", ")}], var.cloudwatch_logs_retention_in_days)`,
        "cloudwatch_logs_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653).",
      ),
    ],
  });
  const kms = optionalString(stack, "cloudwatch_logs_kms_key_id", {
    description:
      "KMS key ARN to encrypt the log groups with; the CloudWatch Logs default encryption when null.",
    pattern: ARN_PATTERNS.kms,
    message: "cloudwatch_logs_kms_key_id must be a KMS key ARN.",
  });
  return { retentionDays: retention.numberValue, kmsKeyArn: kms };
}

/**
 * The handler's tunables. Each is `null` by default, which leaves the variable unset so the
 * handler's own default applies. Returns a map token for the function's/task's environment.
 */
export function handlerSettingsVariables(stack: ModuleStack): Record<string, string> {
  const num = (name: string, env: string, description: string, min: number) =>
    [
      env,
      stack.variable(name, {
        type: "number",
        default: null,
        description: `${description} Sets ${env}; null keeps the handler's default.`,
        validation: [
          rule(`var.${name} == null ? true : var.${name} >= ${min}`, `${name} must be at least ${min}.`),
        ],
      }),
    ] as const;
  const settings = [
    num(
      "default_timeout_seconds",
      "MCP_DEFAULT_TIMEOUT_SECONDS",
      "Execution timeout for a tool call that names none, in seconds.",
      1,
    ),
    num(
      "max_timeout_seconds",
      "MCP_MAX_TIMEOUT_SECONDS",
      "Largest execution timeout a client may ask for, in seconds.",
      1,
    ),
    num(
      "max_output_chars",
      "MCP_MAX_OUTPUT_CHARS",
      "Output longer than this many characters is truncated.",
      1,
    ),
  ];
  const preload = stack.variable("kernel_preload", {
    type: "string",
    default: null,
    description:
      'Comma-separated Python modules the kernel imports on keep-warm pings, e.g. "numpy,pandas,matplotlib". Sets KERNEL_PRELOAD.',
    validation: [
      rule(
        `var.kernel_preload == null ? true : can(regex("^[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*$", var.kernel_preload))`,
        "kernel_preload must be a comma-separated list of module names without spaces.",
      ),
    ],
  });
  const extra = stack.variable("environment_variables", {
    type: "map(string)",
    default: {},
    description:
      "Extra environment variables for the server (e.g. MCP_BASE_PATH, MCP_WORKSPACE_BUCKET); they win over the module's own.",
  });
  const entries = [
    ...settings.map(([env, v]) => `${env} = ${v.stringValue}`),
    `KERNEL_PRELOAD = ${preload.stringValue}`,
  ];
  // A raw expression in a local: drop the nulls so unset tunables stay unset.
  const tunables = new TerraformLocal(
    stack,
    "handler_tunables",
    `\${{for k, v in {${entries.join(", ")}} : k => tostring(v) if v != null}}`,
  );
  const local = new TerraformLocal(
    stack,
    "handler_environment",
    Fn.merge([tunables.asStringMap, extra.value]),
  );
  return local.asStringMap;
}

/** The optional workspace bucket's inputs; returns the construct's props. */
export function workspaceVariables(stack: ModuleStack): {
  create: IResolvable;
  bucketName: string;
  bucketPrefix: string;
  prefix: string;
  expirationDays: number;
  kmsKeyArn: string;
} {
  const create = stack.variable("create_workspace_bucket", {
    type: "bool",
    default: false,
    description:
      "Create an S3 bucket for files and kernel checkpoints that outlive an execution environment (encrypted, public access blocked, TLS only, versioned, generated outputs expiring). Sets MCP_WORKSPACE_BUCKET and MCP_WORKSPACE_PREFIX; with create_session_table (default), sessions are on too.",
  }).booleanValue;
  const bucketName = optionalString(stack, "workspace_bucket_name", {
    description:
      "Use this existing bucket as the workspace instead (the server gets access to workspace_prefix in it only).",
  });
  const bucketPrefix = stack.variable("workspace_bucket_prefix", {
    type: "string",
    default: null,
    description: `Name prefix of a created workspace bucket: ${BUCKET_PREFIX_RULE}. null: the module's name, lowercased, "_" as "-", cut to 26 characters, + "-workspace-".`,
    validation: [
      rule(
        `var.workspace_bucket_prefix == null ? true : ${bucketPrefixCondition("var.workspace_bucket_prefix")}`,
        `workspace_bucket_prefix must be ${BUCKET_PREFIX_RULE}.`,
      ),
    ],
  }).stringValue;
  const prefix = stack.variable("workspace_prefix", {
    type: "string",
    default: "workspaces/",
    description:
      "Key prefix of the workspace; the role may use files/, outputs/ and (with sessions) sessions/ under it only.",
    validation: [
      rule(
        'can(regex("^[A-Za-z0-9!_.*()-]+(/[A-Za-z0-9!_.*()-]+)*/$", var.workspace_prefix))',
        'workspace_prefix must be a relative key prefix ending in "/", e.g. "workspaces/".',
      ),
    ],
  }).stringValue;
  const expirationDays = stack.variable("workspace_expiration_days", {
    type: "number",
    default: 7,
    description:
      "Generated outputs (workspace_prefix + outputs/, behind presigned links) in a created bucket expire after this many days; workspace files (files/) and session checkpoints (sessions/) never expire.",
    validation: [rule("var.workspace_expiration_days >= 1", "workspace_expiration_days must be at least 1.")],
  }).numberValue;
  const kmsKeyArn = optionalString(stack, "workspace_kms_key_arn", {
    description:
      "KMS key ARN for the workspace bucket (created: encrypts it; existing: the key it uses, granted for decrypt and generate-data-key); SSE-S3 when null.",
    pattern: ARN_PATTERNS.kms,
    message: "workspace_kms_key_arn must be a KMS key ARN.",
  });
  return { create, bucketName, bucketPrefix, prefix, expirationDays, kmsKeyArn };
}

/** The session table's inputs (sessions are on by default with a workspace bucket). */
export function sessionVariables(stack: ModuleStack): {
  create: IResolvable;
  tableName: string;
  kmsKeyArn: string;
  deletionProtection: IResolvable;
  checkpointKeySecretArn: string;
  checkpointKeyKmsKeyArn: string;
} {
  const create = stack.variable("create_session_table", {
    type: "bool",
    default: true,
    description:
      "With a workspace bucket (created or given) and no session_table_name: create a DynamoDB table for session leases (on demand, TTL, encrypted, point-in-time recovery), so each caller's kernel is checkpointed under workspace_prefix + sessions/ and survives cold starts. Sets MCP_SESSION_TABLE.",
  }).booleanValue;
  const tableName = optionalString(stack, "session_table_name", {
    description:
      "Use this existing DynamoDB table for session leases instead (this account and region; string partition key pk, TTL on expiresAt); the server may get, put, update and delete its items only.",
    pattern: "^[A-Za-z0-9_.-]{3,255}$",
    message: "session_table_name must be a DynamoDB table name (3-255 letters, digits, _ . -).",
  });
  const kmsKeyArn = optionalString(stack, "session_table_kms_key_arn", {
    description:
      "Customer managed KMS key ARN for the session table (created: encrypts it; existing: the key it uses, granted through DynamoDB only); the AWS managed key aws/dynamodb when null.",
    pattern: ARN_PATTERNS.kms,
    message: "session_table_kms_key_arn must be a KMS key ARN.",
  });
  const deletionProtection = stack.variable("session_table_deletion_protection_enabled", {
    type: "bool",
    default: true,
    description:
      "Deletion protection on a created session table. Set false (and apply) before destroying the module or switching to session_table_name.",
  }).booleanValue;
  const checkpointKeySecretArn = optionalString(stack, "checkpoint_key_secret_arn", {
    description:
      "With sessions on: ARN of an existing Secrets Manager secret whose SecretString is the key (32+ random characters) that signs kernel checkpoints, which are pickles and so code. null: a secret with a random 64-character key is created (generated by an ephemeral resource and written write-only, so it is never in the plan or the state). Sets MCP_CHECKPOINT_KEY_SECRET_ARN; the server's role may read this secret only. Replacing the key makes existing checkpoints unrestorable (kernels start empty).",
    pattern: ARN_PATTERNS.secretsmanager,
    message: "checkpoint_key_secret_arn must be a Secrets Manager secret ARN.",
  });
  const checkpointKeyKmsKeyArn = optionalString(stack, "checkpoint_key_kms_key_arn", {
    description:
      "Customer managed KMS key of the checkpoint key's secret (created: encrypts it; given: the key it uses, granted kms:Decrypt through Secrets Manager only); the AWS managed key aws/secretsmanager when null.",
    pattern: ARN_PATTERNS.kms,
    message: "checkpoint_key_kms_key_arn must be a KMS key ARN.",
  });
  return { create, tableName, kmsKeyArn, deletionProtection, checkpointKeySecretArn, checkpointKeyKmsKeyArn };
}

/**
 * Where the bearer token comes from (AuthToken's props): a created secret with a random token (by
 * default; the token is generated by an ephemeral resource and written write-only, so it is in
 * neither the plan nor the state), an existing secret, or an SSM SecureString parameter.
 * `reader` says who reads it, for the descriptions ("the function", "ECS").
 */
export function authTokenVariables(
  stack: ModuleStack,
  reader: "lambda" | "ecs",
): { createSecret: IResolvable; secretArn: string; ssmParameterName: string; kmsKeyArn: string } {
  const how =
    reader === "lambda"
      ? "the function reads it at init"
      : "ECS resolves it into MCP_AUTH_TOKEN at task start";
  const createSecret = stack.variable("create_auth_token_secret", {
    type: "bool",
    default: true,
    description: `With token auth and neither auth_token_secret_arn nor auth_token_ssm_parameter_name set: create a Secrets Manager secret holding a random 48-character token (never in the plan or the state). false with neither set stops the plan: the server would have no token.`,
  }).booleanValue;
  const secretArn = optionalString(stack, "auth_token_secret_arn", {
    description: `ARN of an existing Secrets Manager secret whose SecretString is the bearer token (${how}); the server may read this secret only.`,
    pattern: ARN_PATTERNS.secretsmanager,
    message: "auth_token_secret_arn must be a Secrets Manager secret ARN.",
  });
  const ssmParameterName = optionalString(stack, "auth_token_ssm_parameter_name", {
    description: `Name of an existing SSM SecureString parameter holding the bearer token, used when auth_token_secret_arn is null (${how}).`,
  });
  const kmsKeyArn = optionalString(stack, "auth_token_kms_key_arn", {
    description:
      "Customer managed KMS key of the token's secret or parameter (grants kms:Decrypt on it); also encrypts a created secret. null: the AWS managed key.",
    pattern: ARN_PATTERNS.kms,
    message: "auth_token_kms_key_arn must be a KMS key ARN.",
  });
  return { createSecret, secretArn, ssmParameterName, kmsKeyArn };
}
