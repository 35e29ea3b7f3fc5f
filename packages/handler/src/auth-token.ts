import { DEFAULT_CALLER } from "./callers.js";
import { addNamedToken, ConfigError, type Config } from "./config.js";

/**
 * Resolves the bearer tokens by caller name: given directly (MCP_AUTH_TOKEN, MCP_AUTH_TOKENS), or
 * read once from Secrets Manager or SSM at start (the function role may read exactly that secret or
 * parameter). A stored value is one token (the "default" caller) or a JSON object of named tokens.
 * The SDK clients load only when needed.
 */
export async function resolveAuthTokens(config: Config): Promise<ReadonlyMap<string, string>> {
  if (config.authTokens.size > 0) return config.authTokens;
  if (config.authTokenSecretArn) {
    const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    const out = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: config.authTokenSecretArn }),
    );
    return parseStoredTokens(out.SecretString, `secret ${config.authTokenSecretArn}`);
  }
  if (config.authTokenSsmParameter) {
    const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
    const out = await new SSMClient({}).send(
      new GetParameterCommand({ Name: config.authTokenSsmParameter, WithDecryption: true }),
    );
    return parseStoredTokens(out.Parameter?.Value, `SSM parameter ${config.authTokenSsmParameter}`);
  }
  return new Map();
}

/** The default caller's token (MCP_AUTH_TOKEN or a plain stored token), for single-token callers. */
export async function resolveAuthToken(config: Config): Promise<string | undefined> {
  const tokens = await resolveAuthTokens(config);
  return tokens.get(DEFAULT_CALLER) ?? tokens.values().next().value;
}

/** A plain string is the default caller's token; `{"alice": "…", "bob": "…"}` names several. */
export function parseStoredTokens(value: string | undefined, where: string): Map<string, string> {
  const text = value?.trim();
  if (!text)
    throw new ConfigError(`The bearer token in ${where} is empty; store the token as a plain string.`);
  if (!text.startsWith("{") && !text.startsWith("[")) return new Map([[DEFAULT_CALLER, text]]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `${where} starts with { but is not valid JSON; store {"name": "token", ...} or one plain token.`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${where} must hold a JSON object of name to token, or one plain token.`);
  }
  const tokens = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, token] of Object.entries(parsed)) {
    addNamedToken(tokens, seen, name, typeof token === "string" ? token.trim() : "", where);
  }
  if (tokens.size === 0) throw new ConfigError(`${where} holds an empty object; name at least one token.`);
  return tokens;
}
