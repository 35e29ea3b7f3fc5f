import type { Config } from "./config.js";

/**
 * Resolves the bearer token: given directly, or read once from Secrets Manager or SSM at start (the
 * function role may read exactly that secret or parameter). The SDK clients load only when needed.
 */
export async function resolveAuthToken(config: Config): Promise<string | undefined> {
  if (config.authToken) return config.authToken;
  if (config.authTokenSecretArn) {
    const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    const out = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: config.authTokenSecretArn }),
    );
    return nonEmpty(out.SecretString, `secret ${config.authTokenSecretArn}`);
  }
  if (config.authTokenSsmParameter) {
    const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
    const out = await new SSMClient({}).send(
      new GetParameterCommand({ Name: config.authTokenSsmParameter, WithDecryption: true }),
    );
    return nonEmpty(out.Parameter?.Value, `SSM parameter ${config.authTokenSsmParameter}`);
  }
  return undefined;
}

function nonEmpty(value: string | undefined, where: string): string {
  const token = value?.trim();
  if (!token) throw new Error(`The bearer token in ${where} is empty; store the token as a plain string.`);
  return token;
}
