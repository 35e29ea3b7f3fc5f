/**
 * A Secrets Manager secret holding a random value, as AuthToken (the bearer token) and
 * McpCheckpointKey (the key that signs checkpoints) create theirs: the secret, an EPHEMERAL
 * `aws_secretsmanager_random_password` of letters and digits, and a version that receives it
 * through the write-only `secret_string_wo`. The value is therefore in neither the plan nor the
 * state (the data source this replaces put it in both, in plain text): Terraform >= 1.11 (write-only
 * arguments) and hashicorp/aws >= 5.100 (the ephemeral resource and `secret_string_wo`).
 *
 * `secret_string_wo_version` is fixed at 1: the ephemeral value is new at every plan, but Terraform
 * sends a write-only argument only when its version changes, so the first value is kept for good
 * (a new checkpoint key would make every checkpoint unrestorable). To rotate, write a new value to
 * the secret yourself (`aws secretsmanager put-secret-value`); Terraform never reads it back.
 */
import type { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js";
import { EphemeralResource } from "./ephemeral.js";
import { ref, when, type Cond } from "./util.js";

/** The version of the write-only value: bumping it would make Terraform write a new random value. */
export const SECRET_VALUE_VERSION = 1;

export interface RandomSecretProps {
  /** Whether to create it at all (a token: `count = create ? 1 : 0` on all three). */
  readonly create: Cond;
  readonly namePrefix: string;
  readonly description: string;
  /** Length of the random value (no punctuation). */
  readonly length: number;
  readonly kmsKeyId?: string;
  readonly recoveryWindowInDays: number;
  readonly tags?: Record<string, string>;
}

/**
 * Declares `secret`, `random` (ephemeral) and `value` in `scope` (so their logical ids are the
 * scope's); returns the secret, or undefined when `create` is literally false.
 */
export function randomSecret(scope: Construct, props: RandomSecretProps): SecretsmanagerSecret | undefined {
  const secret = when(
    props.create,
    (count) =>
      new SecretsmanagerSecret(scope, "secret", {
        count,
        namePrefix: props.namePrefix,
        description: props.description,
        kmsKeyId: props.kmsKeyId,
        recoveryWindowInDays: props.recoveryWindowInDays,
        tags: props.tags,
      }),
  );
  if (secret) {
    const random = new EphemeralResource(scope, "random", {
      type: "aws_secretsmanager_random_password",
      when: props.create,
      arguments: { password_length: props.length, exclude_punctuation: true },
    });
    new SecretsmanagerSecretVersion(scope, "value", {
      count: secret.count,
      secretId: ref(secret, "id"),
      secretStringWo: random.attribute("random_password"),
      secretStringWoVersion: SECRET_VALUE_VERSION,
    });
  }
  return secret;
}
