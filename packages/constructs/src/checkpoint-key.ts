/**
 * The key that signs session checkpoints (MCP_CHECKPOINT_KEY_SECRET_ARN). Checkpoints are dill
 * pickles, i.e. code, so the handler signs them with an HMAC key that only the server may hold, and
 * a server with sessions on refuses to start without one. Wherever sessions are on, this construct
 * provides it: a Secrets Manager secret created here with a random value (as AuthToken creates the
 * bearer token: `aws_secretsmanager_random_password`, no punctuation, `ignore_changes` on the value so
 * that a new random value at each plan never replaces the key), or an existing secret whose
 * SecretString is the key (32+ characters). The server reads it once at start, with its own role
 * (the function role, the Fargate task role); `statements()` allow exactly that secret.
 *
 * Not as an ECS `secrets` entry: ECS would put the key into the container's environment, and the
 * image keeps only the credentials and tokens it knows of out of Node's exec environment
 * (/proc/<pid>/environ, readable by the kernel's code), not MCP_CHECKPOINT_KEY.
 */
import { Construct } from "constructs";
import type { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import type { AwsContext } from "./aws-context.js";
import { randomSecret } from "./random-secret.js";
import {
  and,
  isSet,
  named,
  not,
  NULL,
  pick,
  ref,
  type Cond,
  type OptString,
  type Statement,
} from "./util.js";

/** Length of a created key: letters and digits only (about 380 bits), well over the handler's 32. */
export const CHECKPOINT_KEY_LENGTH = 64;

/** Checkpoint key options of the sessions (McpSessionOptions.checkpointKey). */
export interface McpCheckpointKeyOptions {
  /** ARN of an existing secret whose SecretString is the key (32+ characters); none is created then. */
  readonly secretArn?: OptString;
  /**
   * Customer managed KMS key that encrypts a created secret, or that a given one uses (the role may
   * decrypt with it through Secrets Manager only). Unset: the AWS managed key `aws/secretsmanager`.
   */
  readonly kmsKeyArn?: OptString;
  /** Recovery window of a created secret, in days (default 7, as the token's). */
  readonly recoveryWindowInDays?: number;
}

export interface McpCheckpointKeyProps extends McpCheckpointKeyOptions {
  /** Name prefix of a created secret (`<name>-checkpoint-key-`). */
  readonly name: string;
  /** Whether sessions are on: the key exists only with them. */
  readonly enabled: Cond;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class McpCheckpointKey extends Construct {
  /** Sessions are on, so the server needs the key. */
  readonly enabled: Cond;
  readonly secret?: SecretsmanagerSecret;
  /** The secret in use (created or given); null when sessions are off. */
  readonly secretArn: string;
  /** The role needs the customer managed key (a key is given and sessions are on). */
  readonly usesKms: Cond;
  readonly kmsKeyArn: OptString;
  private readonly ctx: AwsContext;

  constructor(scope: Construct, id: string, props: McpCheckpointKeyProps) {
    super(scope, id);
    this.ctx = props.context;
    this.enabled = props.enabled;
    const hasSecret = named(this, "has_secret_arn", and(props.enabled, isSet(props.secretArn)));
    const hasKms = isSet(props.kmsKeyArn);
    const create = named(this, "create_secret", and(props.enabled, not(hasSecret)));

    this.secret = randomSecret(this, {
      create,
      namePrefix: `${props.name}-checkpoint-key-`,
      description:
        "Key that signs the Jupyter MCP server's session checkpoints (HMAC; checkpoints are pickles, so only the server may read it)",
      length: CHECKPOINT_KEY_LENGTH,
      // null, not "", when no key is given: the AWS managed key aws/secretsmanager.
      kmsKeyId: hasKms === false ? undefined : pick(hasKms, props.kmsKeyArn ?? "", NULL),
      recoveryWindowInDays: props.recoveryWindowInDays ?? 7,
      tags: props.tags,
    });
    // The random value is kept after the first apply (ignore_changes): a new key would make every
    // existing checkpoint unverifiable (the kernels would start empty).

    const created = this.secret ? ref(this.secret, "arn") : NULL;
    this.secretArn = pick(props.enabled, pick(hasSecret, props.secretArn ?? "", created), NULL);
    this.kmsKeyArn = props.kmsKeyArn;
    this.usesKms = named(this, "uses_kms", and(props.enabled, hasKms));
  }

  /** MCP_CHECKPOINT_KEY_SECRET_ARN when sessions are on (the caller merges it into the server's env). */
  get environment(): Record<string, string> {
    return { MCP_CHECKPOINT_KEY_SECRET_ARN: this.secretArn };
  }

  /** Read this one secret, and nothing else. */
  readStatement(): Statement {
    return {
      sid: "ReadCheckpointKey",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [this.secretArn],
    };
  }

  /** Decrypt with the customer managed key, through Secrets Manager in this region only. */
  kmsStatement(): Statement | undefined {
    if (this.kmsKeyArn === undefined) return undefined;
    return {
      sid: "DecryptCheckpointKey",
      actions: ["kms:Decrypt"],
      resources: [this.kmsKeyArn],
      condition: [
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: [`secretsmanager.${this.ctx.region}.amazonaws.com`],
        },
      ],
    };
  }
}
