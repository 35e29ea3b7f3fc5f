import { DEFAULT_CALLER } from "./callers.js";
import { addNamedToken, ConfigError, type Config } from "./config.js";

/**
 * Resolves the bearer tokens by caller name: given directly (MCP_AUTH_TOKEN, MCP_AUTH_TOKENS), or
 * read once from Secrets Manager or SSM at start (the function role may read exactly that secret or
 * parameter). A stored value is one token (the "default" caller) or a JSON object of named tokens,
 * which may also hold the checkpoint signing key beside them. The SDK clients load only when needed.
 */
export interface StoredSecrets {
  tokens: ReadonlyMap<string, string>;
  /** The key that signs session checkpoints, when the secret holds one ("checkpoint_key"). */
  checkpointKey?: string;
}

/** The field of a stored JSON object that holds the checkpoint key rather than a token. */
export const CHECKPOINT_KEY_FIELD = "checkpoint_key";

/** Fail fast where no endpoint is reachable (a VPC without one) instead of hanging until Lambda's timeout. */
const CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 },
};

export async function resolveSecrets(config: Config): Promise<StoredSecrets> {
  const [stored, checkpointKey] = await Promise.all([
    resolveTokenSource(config),
    resolveCheckpointKey(config),
  ]);
  const key = checkpointKey ?? stored.checkpointKey;
  return key ? { tokens: stored.tokens, checkpointKey: key } : { tokens: stored.tokens };
}

/** MCP_CHECKPOINT_KEY_SECRET_ARN's value: a secret of its own, which the Terraform modules create. */
async function resolveCheckpointKey(config: Config): Promise<string | undefined> {
  const arn = config.sessions?.checkpointKeySecretArn;
  if (config.sessions?.checkpointKey || !arn) return undefined;
  const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
  const out = await new SecretsManagerClient(CLIENT_OPTIONS).send(
    new GetSecretValueCommand({ SecretId: arn }),
  );
  const key = out.SecretString?.trim() ?? "";
  if (key.length < 32) {
    throw new ConfigError(
      `The checkpoint key in secret ${arn} is shorter than 32 characters; store a longer random key.`,
    );
  }
  return key;
}

async function resolveTokenSource(config: Config): Promise<StoredSecrets> {
  if (config.authTokens.size > 0) return { tokens: config.authTokens };
  if (config.authTokenSecretArn) {
    const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    const out = await new SecretsManagerClient(CLIENT_OPTIONS).send(
      new GetSecretValueCommand({ SecretId: config.authTokenSecretArn }),
    );
    return parseStoredSecrets(out.SecretString, `secret ${config.authTokenSecretArn}`);
  }
  if (config.authTokenSsmParameter) {
    const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
    const out = await new SSMClient(CLIENT_OPTIONS).send(
      new GetParameterCommand({ Name: config.authTokenSsmParameter, WithDecryption: true }),
    );
    return parseStoredSecrets(out.Parameter?.Value, `SSM parameter ${config.authTokenSsmParameter}`);
  }
  return { tokens: new Map() };
}

export async function resolveAuthTokens(config: Config): Promise<ReadonlyMap<string, string>> {
  return (await resolveTokenSource(config)).tokens;
}

export function parseStoredTokens(value: string | undefined, where: string): ReadonlyMap<string, string> {
  return parseStoredSecrets(value, where).tokens;
}

/** A plain string is the default caller's token; `{"alice": "…", "bob": "…"}` names several. */
export function parseStoredSecrets(value: string | undefined, where: string): StoredSecrets {
  const text = value?.trim();
  if (!text)
    throw new ConfigError(`The bearer token in ${where} is empty; store the token as a plain string.`);
  if (!text.startsWith("{") && !text.startsWith("[")) return { tokens: new Map([[DEFAULT_CALLER, text]]) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `${where} looks like JSON but is not valid JSON; store {"name": "token", ...} or one plain token.`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${where} must hold a JSON object of name to token, or one plain token.`);
  }
  const tokens = new Map<string, string>();
  const seen = new Set<string>();
  let checkpointKey: string | undefined;
  for (const [name, token] of Object.entries(parsed)) {
    if (name === CHECKPOINT_KEY_FIELD) {
      if (typeof token !== "string" || token.length < 32) {
        throw new ConfigError(
          `${where}: ${CHECKPOINT_KEY_FIELD} must be a string of at least 32 characters.`,
        );
      }
      checkpointKey = token;
      continue;
    }
    addNamedToken(tokens, seen, name, typeof token === "string" ? token.trim() : "", where);
  }
  if (tokens.size === 0) throw new ConfigError(`${where} holds no token; name at least one.`);
  return checkpointKey ? { tokens, checkpointKey } : { tokens };
}
