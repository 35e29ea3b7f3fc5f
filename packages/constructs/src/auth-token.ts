/**
 * Where the bearer token for "token" auth lives: an existing Secrets Manager secret, an existing SSM
 * SecureString parameter, or a secret this construct creates with a random value. The function reads
 * it at init (MCP_AUTH_TOKEN_SECRET_ARN or MCP_AUTH_TOKEN_SSM_PARAMETER); the Fargate task gets it
 * through the task definition's `secrets` (MCP_AUTH_TOKEN).
 */
import { Construct } from "constructs";
import { Fn, TerraformLocal, type Precondition } from "cdktf";
import type { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import { AwsContext } from "./aws-context.js";
import { randomSecret } from "./random-secret.js";
import {
  and,
  isLiteral,
  isSet,
  named,
  not,
  NULL,
  or,
  orEmpty,
  pick,
  ref,
  type Cond,
  type OptString,
} from "./util.js";

/** Why a plan stops when token auth has nothing to read the token from. */
export const NO_TOKEN_SOURCE =
  "Token auth needs a token source: set auth_token_secret_arn or auth_token_ssm_parameter_name, or leave create_auth_token_secret = true so that the module creates a secret with a random token. Without one the server would plan and apply, then refuse every call at start.";

/** The same, where callers may also authenticate with JWTs the server checks (an OIDC issuer). */
export const NO_TOKEN_OR_OIDC =
  "Token auth needs a token source: set auth_token_secret_arn or auth_token_ssm_parameter_name, or leave create_auth_token_secret = true so that the module creates a secret with a random token, or set oidc_issuer to admit JWT callers only (the server checks their tokens). Without either the server would plan and apply, then refuse every call at start.";

export interface AuthTokenProps {
  /** Name prefix for the created secret. */
  readonly name: string;
  /** Whether token auth is in use at all (e.g. `auth_type == "token"`). Default true. */
  readonly enabled?: Cond;
  /** ARN of an existing secret whose SecretString is the token. */
  readonly secretArn?: OptString;
  /** Name of an existing SSM SecureString parameter holding the token (Lambda only). */
  readonly ssmParameterName?: OptString;
  /** Create a secret with a random token when neither of the above is given. Default true. */
  readonly createSecret?: Cond;
  /** KMS key for the created secret (and to decrypt a given one); AWS-managed key when unset. */
  readonly kmsKeyArn?: OptString;
  readonly recoveryWindowInDays?: number;
  /**
   * Holds when callers can authenticate without a token (JWTs of an OIDC issuer the server checks
   * itself): then no token source is fine, and the precondition says so (NO_TOKEN_OR_OIDC).
   */
  readonly optionalWhen?: Cond;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class AuthToken extends Construct {
  /** The secret in use (given or created); null when the token comes from SSM or auth is off. */
  readonly secretArn: string;
  /** The SSM parameter name in use; null otherwise. */
  readonly ssmParameterName: string;
  /** The SSM parameter ARN, for IAM. */
  readonly ssmParameterArn: string;
  readonly usesSecret: Cond;
  readonly usesSsm: Cond;
  readonly usesKms: Cond;
  readonly kmsKeyArn: OptString;
  readonly secret?: SecretsmanagerSecret;
  /** Holds unless token auth is on with no source (createSecret false, no secret, no parameter). */
  readonly hasSource: Cond;
  private readonly noSourceMessage: string;

  constructor(scope: Construct, id: string, props: AuthTokenProps) {
    super(scope, id);
    const enabled = props.enabled ?? true;
    const hasSecret = named(this, "has_secret_arn", isSet(props.secretArn));
    const hasSsm = named(this, "has_ssm_parameter", isSet(props.ssmParameterName));
    const create = named(
      this,
      "create_secret",
      and(enabled, and(props.createSecret ?? true, and(not(hasSecret), not(hasSsm)))),
    );

    this.secret = randomSecret(this, {
      create,
      namePrefix: `${props.name}-auth-token-`,
      description: "Bearer token for the Jupyter MCP server (clients send Authorization: Bearer <token>)",
      length: 48,
      kmsKeyId: props.kmsKeyArn,
      recoveryWindowInDays: props.recoveryWindowInDays ?? 7,
      tags: props.tags,
    });

    this.usesSecret = named(this, "uses_secret", and(enabled, or(hasSecret, create)));
    this.usesSsm = named(this, "uses_ssm", and(enabled, and(not(hasSecret), hasSsm)));
    const created = this.secret ? ref(this.secret, "arn") : NULL;
    this.secretArn = pick(this.usesSecret, pick(hasSecret, props.secretArn ?? "", created), NULL);
    this.ssmParameterName = pick(this.usesSsm, props.ssmParameterName ?? "", NULL);
    const optional = props.optionalWhen ?? false;
    this.noSourceMessage = props.optionalWhen === undefined ? NO_TOKEN_SOURCE : NO_TOKEN_OR_OIDC;
    this.hasSource = named(
      this,
      "has_source",
      or(or(not(enabled), optional), or(this.usesSecret, this.usesSsm)),
    );
    if (isLiteral(this.hasSource) && !this.hasSource) throw new Error(this.noSourceMessage);
    const ctx = props.context;
    // A local, so that the template can be used inside other expressions (jsonencode, conditionals).
    this.ssmParameterArn = new TerraformLocal(
      this,
      "ssm_parameter_arn",
      `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:parameter/${Fn.trimprefix(orEmpty(props.ssmParameterName ?? ""), "/")}`,
    ).asString;
    this.usesKms = named(this, "uses_kms", and(isSet(props.kmsKeyArn), or(this.usesSecret, this.usesSsm)));
    this.kmsKeyArn = props.kmsKeyArn;
  }

  /**
   * For the lifecycle of the resource that reads the token (the function, the task definition):
   * stops the plan with NO_TOKEN_SOURCE (or NO_TOKEN_OR_OIDC) rather than letting the server fail at start.
   */
  preconditions(): Precondition[] {
    return isLiteral(this.hasSource)
      ? []
      : [{ condition: this.hasSource, errorMessage: this.noSourceMessage }];
  }
}
