/**
 * A Secrets Manager secret holding a random value, as AuthToken (the bearer token) and
 * McpCheckpointKey (the key that signs checkpoints) create theirs: the secret, an
 * `aws_secretsmanager_random_password` of letters and digits, and a version that keeps the first
 * value (`ignore_changes` on it: the data source yields a new one at every plan).
 */
import type { Construct } from "constructs";
import type { TerraformResourceLifecycle } from "cdktf";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js";
import { DataAwsSecretsmanagerRandomPassword } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password/index.js";
import { ref, when, type Cond } from "./util.js";

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
 * Declares `secret`, `random` and `value` in `scope` (so their logical ids are the scope's);
 * returns the secret, or undefined when `create` is literally false.
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
    const count = secret.count;
    const random = new DataAwsSecretsmanagerRandomPassword(scope, "random", {
      count,
      passwordLength: props.length,
      excludePunctuation: true,
    });
    const lifecycle: TerraformResourceLifecycle = { ignoreChanges: ["secret_string"] };
    new SecretsmanagerSecretVersion(scope, "value", {
      count,
      secretId: ref(secret, "id"),
      secretString: ref(random, "random_password"),
      lifecycle,
    });
  }
  return secret;
}
