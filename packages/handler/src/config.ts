import { z } from "zod";
import { readOAuthConfig, type OAuthConfig } from "./auth/oauth-config.js";
import { DEFAULT_CALLER, TOKEN_NAME } from "./callers.js";

/**
 * Every environment variable the handler reads, in one place. The README's configuration table is
 * checked against this list by a test, so the docs cannot drift from the code.
 */
export interface SettingDoc {
  name: string;
  default: string;
  meaning: string;
}

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);
const count = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const flag = z
  .enum(["", "0", "1", "true", "false", "yes", "no"], {
    error: "expected one of 1, true, yes, 0, false, no",
  })
  .default("")
  .transform((v) => v === "1" || v === "true" || v === "yes");
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
const list = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const schema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  MCP_AUTH_TOKEN: optionalText,
  MCP_AUTH_TOKENS: optionalText,
  MCP_AUTH_TOKEN_SECRET_ARN: optionalText,
  MCP_AUTH_TOKEN_SSM_PARAMETER: optionalText,
  MCP_ALLOW_INSECURE: flag,
  MCP_BASE_PATH: optionalText,
  MCP_DEFAULT_TIMEOUT_SECONDS: seconds(30),
  MCP_MAX_TIMEOUT_SECONDS: seconds(900),
  MCP_MAX_OUTPUT_CHARS: count(100_000),
  MCP_MAX_IMAGES: count(10),
  MCP_MAX_IMAGE_BYTES: count(1_500_000),
  MCP_MAX_RESPONSE_BYTES: count(4_500_000),
  MCP_MAX_BODY_BYTES: count(2 * 1024 * 1024),
  JUPYTER_STATE_ROOT: z.string().min(1).default("/tmp/jupyter-mcp"),
  JUPYTER_PYTHON: z.string().min(1).default("/usr/bin/python3"),
  JUPYTER_URL: optionalText,
  JUPYTER_TOKEN: optionalText,
  JUPYTER_KERNEL_NAME: z.string().min(1).default("python3"),
  KERNEL_ENV_PASSTHROUGH: list,
  KERNEL_PRELOAD: list,
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  MCP_WORKSPACE_BUCKET: optionalText,
  MCP_WORKSPACE_PREFIX: z.string().default("workspaces/"),
  MCP_S3_ENDPOINT: optionalText.pipe(z.string().url().optional()),
  MCP_PRESIGN_EXPIRES_SECONDS: z.coerce.number().int().min(1).max(604_800).default(3600),
  MCP_PIP_TIMEOUT_SECONDS: seconds(300),
  MCP_MAX_KERNELS: z.coerce.number().int().min(1).max(1000).default(8),
  MCP_KERNEL_IDLE_SECONDS: z.coerce.number().nonnegative().default(3600),
  MCP_SPARE_KERNELS: z.coerce.number().int().min(0).max(8).default(1),
  MCP_SESSION_TABLE: optionalText,
  MCP_DYNAMODB_ENDPOINT: optionalText.pipe(z.string().url().optional()),
  MCP_CHECKPOINT_KEY: optionalText,
  MCP_CHECKPOINT_KEY_SECRET_ARN: optionalText,
  MCP_CHECKPOINT_MAX_VARIABLE_BYTES: count(256 * 1024 * 1024),
  MCP_SESSION_LEASE_SECONDS: seconds(15),
  MCP_PROGRESS_INTERVAL_SECONDS: seconds(5),
  MCP_TASK_AFTER_SECONDS: seconds(20),
  MCP_TASK_TTL_SECONDS: seconds(3600),
  MCP_LAMBDA_STREAMING: flag,
  MCP_TENANT_ISOLATION: optionalText,
  MCP_UNAUTHENTICATED_TENANT_ID: optionalText,
});

export const SETTINGS: readonly SettingDoc[] = [
  { name: "HOST", default: "127.0.0.1", meaning: "Address the HTTP server listens on." },
  { name: "PORT", default: "8080", meaning: "Port the HTTP server listens on (0 picks a free one)." },
  {
    name: "MCP_AUTH_TOKEN",
    default: "(unset)",
    meaning: "Bearer token every route but /health requires. Unset: no auth, loopback only.",
  },
  {
    name: "MCP_AUTH_TOKENS",
    default: "(unset)",
    meaning:
      "Named tokens, name=token,name=token (names [a-z0-9-]{1,64}, not id-...): each name is a caller with its own kernel and files.",
  },
  {
    name: "MCP_AUTH_TOKEN_SECRET_ARN",
    default: "(unset)",
    meaning:
      'Secrets Manager secret holding the bearer token, or named tokens as a JSON object {"name": "token"}; read once at start.',
  },
  {
    name: "MCP_AUTH_TOKEN_SSM_PARAMETER",
    default: "(unset)",
    meaning:
      "SSM SecureString parameter holding the token or the JSON object of named tokens; read once at start.",
  },
  {
    name: "MCP_ALLOW_INSECURE",
    default: "0",
    meaning: "Set to 1 to serve without a token on a non-loopback address. Never on a public network.",
  },
  {
    name: "MCP_BASE_PATH",
    default: "(unset)",
    meaning: "Path prefix stripped before routing, e.g. /jupyter when behind a shared domain.",
  },
  {
    name: "MCP_DEFAULT_TIMEOUT_SECONDS",
    default: "30",
    meaning: "Timeout of an execute_code call that gives none.",
  },
  {
    name: "MCP_MAX_TIMEOUT_SECONDS",
    default: "900",
    meaning: "Upper bound for a caller's timeout; larger values are clamped.",
  },
  {
    name: "MCP_MAX_OUTPUT_CHARS",
    default: "100000",
    meaning: "Text output kept per call; the rest is cut with a note saying how much.",
  },
  {
    name: "MCP_MAX_IMAGES",
    default: "10",
    meaning: "Images returned per call; further ones are dropped with a note.",
  },
  {
    name: "MCP_MAX_IMAGE_BYTES",
    default: "1500000",
    meaning: "Largest image (decoded bytes) returned inline; larger ones are dropped with a note.",
  },
  {
    name: "MCP_MAX_RESPONSE_BYTES",
    default: "4500000",
    meaning: "Budget for one tool result, kept under Lambda's 6 MB response limit.",
  },
  {
    name: "MCP_MAX_BODY_BYTES",
    default: "2097152",
    meaning: "Largest request body accepted; larger ones get 413.",
  },
  {
    name: "JUPYTER_STATE_ROOT",
    default: "/tmp/jupyter-mcp",
    meaning: "The one writable directory for Jupyter's runtime, data, config, IPython, matplotlib and HOME.",
  },
  {
    name: "JUPYTER_PYTHON",
    default: "/usr/bin/python3",
    meaning: "Python that has jupyter_server and ipykernel (Debian's).",
  },
  {
    name: "JUPYTER_URL",
    default: "(unset)",
    meaning: "Attach to this running Jupyter server instead of starting one.",
  },
  { name: "JUPYTER_TOKEN", default: "(unset)", meaning: "Token of the server given by JUPYTER_URL." },
  { name: "JUPYTER_KERNEL_NAME", default: "python3", meaning: "Kernel spec to start." },
  {
    name: "KERNEL_ENV_PASSTHROUGH",
    default: "(empty)",
    meaning: "Comma-separated extra variable names copied into the kernel's environment (AWS_* never are).",
  },
  {
    name: "KERNEL_PRELOAD",
    default: "(empty)",
    meaning: "Comma-separated modules imported at kernel start and on keep-warm pings, e.g. numpy,pandas.",
  },
  { name: "LOG_LEVEL", default: "info", meaning: "debug, info, warn, error or silent." },
  {
    name: "MCP_WORKSPACE_BUCKET",
    default: "(unset)",
    meaning:
      "S3 bucket that keeps the workspace across cold starts and containers. Unset: files live in /tmp only.",
  },
  {
    name: "MCP_WORKSPACE_PREFIX",
    default: "workspaces/",
    meaning:
      "Key prefix in that bucket: files under <prefix>files/<caller>/, large outputs under <prefix>outputs/<caller>/.",
  },
  {
    name: "MCP_S3_ENDPOINT",
    default: "(unset)",
    meaning: "S3 endpoint override (S3-compatible stores, tests); uses path-style addressing.",
  },
  {
    name: "MCP_PRESIGN_EXPIRES_SECONDS",
    default: "3600",
    meaning:
      "Lifetime of presigned links to large outputs (at most 604800); role credentials may end it sooner.",
  },
  {
    name: "MCP_PIP_TIMEOUT_SECONDS",
    default: "300",
    meaning: "How long install_package lets pip run before stopping it.",
  },
  {
    name: "MCP_MAX_KERNELS",
    default: "8",
    meaning:
      "Kernels per process (one per caller, spares included); when full, the least recently used idle one is shut down.",
  },
  {
    name: "MCP_KERNEL_IDLE_SECONDS",
    default: "3600",
    meaning: "A caller's kernel idle this long is shut down (its files stay); 0 keeps kernels until evicted.",
  },
  {
    name: "MCP_SESSION_TABLE",
    default: "(unset)",
    meaning:
      "DynamoDB table (string key pk) of session leases and versions. With MCP_WORKSPACE_BUCKET it turns sessions on: kernel state checkpointed to S3, restored anywhere.",
  },
  {
    name: "MCP_DYNAMODB_ENDPOINT",
    default: "(unset)",
    meaning: "DynamoDB endpoint override (local DynamoDB, tests).",
  },
  {
    name: "MCP_CHECKPOINT_KEY",
    default: "(unset)",
    meaning:
      'Key (32+ characters) that signs checkpoints, which are pickles and so code; or "checkpoint_key" in the token secret\'s JSON. Required with sessions.',
  },
  {
    name: "MCP_CHECKPOINT_KEY_SECRET_ARN",
    default: "(unset)",
    meaning:
      "Secrets Manager secret holding the checkpoint key, read once at start (what the Terraform modules create).",
  },
  {
    name: "MCP_CHECKPOINT_MAX_VARIABLE_BYTES",
    default: "268435456",
    meaning: "A variable whose pickle is larger is left out of checkpoints, with a note.",
  },
  {
    name: "MCP_SESSION_LEASE_SECONDS",
    default: "15",
    meaning:
      "How long a session lease outlives a silent holder (renewed while a call runs); a dead server's callers wait at most this.",
  },
  {
    name: "MCP_PROGRESS_INTERVAL_SECONDS",
    default: "5",
    meaning:
      "Seconds between progress notifications (latest output lines) while a cell runs, for clients that send a progressToken on a streaming exchange.",
  },
  {
    name: "MCP_TASK_AFTER_SECONDS",
    default: "20",
    meaning:
      "A Tasks-extension client's execute_code/execute_cell that runs longer (or past the call's budget) answers with a task to poll.",
  },
  {
    name: "MCP_TASK_TTL_SECONDS",
    default: "3600",
    meaning: "How long a task's record (and result) stays readable after the task ends.",
  },
  {
    name: "MCP_LAMBDA_STREAMING",
    default: "0",
    meaning:
      "Lambda only: 1 when the front door streams (Function URL RESPONSE_STREAM, REST API STREAM); the handler then streams responses (SSE progress).",
  },
  {
    name: "MCP_TENANT_ISOLATION",
    default: "(unset)",
    meaning:
      "Lambda only: PER_TENANT when the function runs with tenant isolation (set by the REST API module); the tenant id must name the caller.",
  },
  {
    name: "MCP_UNAUTHENTICATED_TENANT_ID",
    default: "(unset)",
    meaning:
      "Lambda only: the fixed tenant id the REST API gives its open routes (/health, OAuth metadata); MCP calls under it are refused.",
  },
  {
    name: "MCP_SPARE_KERNELS",
    default: "1",
    meaning: "Kernels started ahead of need, so a new caller's first call does not wait for a launch.",
  },
];

export interface Config {
  host: string;
  port: number;
  authToken: string | undefined;
  /** Every bearer token by caller name: MCP_AUTH_TOKEN as "default", plus MCP_AUTH_TOKENS. */
  authTokens: ReadonlyMap<string, string>;
  authTokenSecretArn: string | undefined;
  authTokenSsmParameter: string | undefined;
  allowInsecure: boolean;
  basePath: string | undefined;
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  limits: OutputLimits;
  maxBodyBytes: number;
  stateRoot: string;
  python: string;
  jupyterUrl: string | undefined;
  jupyterToken: string | undefined;
  kernelName: string;
  kernelEnvPassthrough: string[];
  kernelPreload: string[];
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  workspace: WorkspaceConfig;
  kernels: KernelLimits;
  sessions: SessionConfig | undefined;
  progressIntervalSeconds: number;
  taskAfterSeconds: number;
  taskTtlSeconds: number;
  /** OAuth (an OIDC issuer's JWTs name callers): RFC 9728 metadata, and in-server JWT checks. */
  oauth: OAuthConfig | undefined;
  /** The Lambda entry streams its responses (awslambda.streamifyResponse). */
  lambdaStreaming: boolean;
  /** Lambda tenant isolation: whether it is on, and the tenant id of the open routes. */
  tenancy: { isolated: boolean; openRouteTenant: string | undefined };
}

/** Sessions are on when both a bucket and a session table are configured. */
export interface SessionConfig {
  table: string;
  dynamodbEndpoint: string | undefined;
  /** From MCP_CHECKPOINT_KEY, or read at start from MCP_CHECKPOINT_KEY_SECRET_ARN or the token secret. */
  checkpointKey: string | undefined;
  checkpointKeySecretArn: string | undefined;
  maxVariableBytes: number;
  leaseMs: number;
}

export interface KernelLimits {
  maxKernels: number;
  idleSeconds: number;
  spares: number;
}

export interface WorkspaceConfig {
  /** S3 persistence is on when a bucket is set. */
  bucket: string | undefined;
  prefix: string;
  s3Endpoint: string | undefined;
  presignExpiresSeconds: number;
  pipTimeoutSeconds: number;
}

export interface OutputLimits {
  maxOutputChars: number;
  maxImages: number;
  maxImageBytes: number;
  maxResponseBytes: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) known[key] = env[key];
  const parsed = schema.safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`Invalid configuration: ${problems}. See the configuration table in the README.`);
  }
  const e = parsed.data;
  if (e.MCP_DEFAULT_TIMEOUT_SECONDS > e.MCP_MAX_TIMEOUT_SECONDS) {
    throw new ConfigError(
      `MCP_DEFAULT_TIMEOUT_SECONDS (${e.MCP_DEFAULT_TIMEOUT_SECONDS}) exceeds MCP_MAX_TIMEOUT_SECONDS (${e.MCP_MAX_TIMEOUT_SECONDS}); lower the first or raise the second.`,
    );
  }
  if (e.JUPYTER_URL && !e.JUPYTER_TOKEN) {
    throw new ConfigError(
      "JUPYTER_URL is set but JUPYTER_TOKEN is not; give the token of that Jupyter server.",
    );
  }
  const forbidden = e.KERNEL_ENV_PASSTHROUGH.filter(isSecretName);
  if (forbidden.length > 0) {
    throw new ConfigError(
      `KERNEL_ENV_PASSTHROUGH may not name ${forbidden.join(", ")}: AWS credentials, the Lambda runtime API and our own secrets never reach the kernel.`,
    );
  }
  const authTokens = namedTokens(e.MCP_AUTH_TOKENS ?? "", "MCP_AUTH_TOKENS");
  if (e.MCP_AUTH_TOKEN !== undefined) {
    if (authTokens.has(DEFAULT_CALLER)) {
      throw new ConfigError(
        'MCP_AUTH_TOKENS names "default", which MCP_AUTH_TOKEN already is; keep one of them.',
      );
    }
    if ([...authTokens.values()].includes(e.MCP_AUTH_TOKEN)) {
      throw new ConfigError(
        "MCP_AUTH_TOKEN is also one of the MCP_AUTH_TOKENS; give every caller its own token.",
      );
    }
    authTokens.set(DEFAULT_CALLER, e.MCP_AUTH_TOKEN);
  }
  return {
    host: e.HOST,
    port: e.PORT,
    authToken: e.MCP_AUTH_TOKEN,
    authTokens,
    authTokenSecretArn: e.MCP_AUTH_TOKEN_SECRET_ARN,
    authTokenSsmParameter: e.MCP_AUTH_TOKEN_SSM_PARAMETER,
    allowInsecure: e.MCP_ALLOW_INSECURE,
    basePath: e.MCP_BASE_PATH,
    defaultTimeoutSeconds: e.MCP_DEFAULT_TIMEOUT_SECONDS,
    maxTimeoutSeconds: e.MCP_MAX_TIMEOUT_SECONDS,
    progressIntervalSeconds: e.MCP_PROGRESS_INTERVAL_SECONDS,
    taskAfterSeconds: e.MCP_TASK_AFTER_SECONDS,
    taskTtlSeconds: e.MCP_TASK_TTL_SECONDS,
    oauth: readOAuthConfig(env),
    lambdaStreaming: e.MCP_LAMBDA_STREAMING,
    tenancy: {
      isolated: e.MCP_TENANT_ISOLATION === "PER_TENANT",
      openRouteTenant: e.MCP_UNAUTHENTICATED_TENANT_ID,
    },
    limits: {
      maxOutputChars: e.MCP_MAX_OUTPUT_CHARS,
      maxImages: e.MCP_MAX_IMAGES,
      maxImageBytes: e.MCP_MAX_IMAGE_BYTES,
      maxResponseBytes: e.MCP_MAX_RESPONSE_BYTES,
    },
    maxBodyBytes: e.MCP_MAX_BODY_BYTES,
    stateRoot: e.JUPYTER_STATE_ROOT,
    python: e.JUPYTER_PYTHON,
    jupyterUrl: e.JUPYTER_URL,
    jupyterToken: e.JUPYTER_TOKEN,
    kernelName: e.JUPYTER_KERNEL_NAME,
    kernelEnvPassthrough: e.KERNEL_ENV_PASSTHROUGH,
    kernelPreload: e.KERNEL_PRELOAD,
    logLevel: e.LOG_LEVEL,
    workspace: {
      bucket: e.MCP_WORKSPACE_BUCKET,
      prefix: e.MCP_WORKSPACE_PREFIX.trim().replace(/^\/+/, ""),
      s3Endpoint: e.MCP_S3_ENDPOINT,
      presignExpiresSeconds: e.MCP_PRESIGN_EXPIRES_SECONDS,
      pipTimeoutSeconds: e.MCP_PIP_TIMEOUT_SECONDS,
    },
    sessions: sessionConfig(e),
    kernels: {
      maxKernels: e.MCP_MAX_KERNELS,
      idleSeconds: e.MCP_KERNEL_IDLE_SECONDS,
      spares: Math.min(e.MCP_SPARE_KERNELS, e.MCP_MAX_KERNELS - 1),
    },
  };
}

function sessionConfig(e: z.infer<typeof schema>): SessionConfig | undefined {
  if (!e.MCP_SESSION_TABLE) return undefined;
  if (!e.MCP_WORKSPACE_BUCKET) {
    throw new ConfigError(
      "MCP_SESSION_TABLE is set but MCP_WORKSPACE_BUCKET is not: sessions keep their checkpoints in the workspace bucket.",
    );
  }
  if (e.MCP_CHECKPOINT_KEY !== undefined && e.MCP_CHECKPOINT_KEY.length < 32) {
    throw new ConfigError("MCP_CHECKPOINT_KEY is too short: give at least 32 random characters.");
  }
  return {
    table: e.MCP_SESSION_TABLE,
    dynamodbEndpoint: e.MCP_DYNAMODB_ENDPOINT,
    checkpointKey: e.MCP_CHECKPOINT_KEY,
    checkpointKeySecretArn: e.MCP_CHECKPOINT_KEY_SECRET_ARN,
    maxVariableBytes: e.MCP_CHECKPOINT_MAX_VARIABLE_BYTES,
    leaseMs: Math.round(e.MCP_SESSION_LEASE_SECONDS * 1000),
  };
}

/**
 * Parses `name=token,name=token`. Messages name the entry by position and name, never the token.
 */
export function namedTokens(text: string, source: string): Map<string, string> {
  const tokens = new Map<string, string>();
  const seen = new Set<string>();
  const entries = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? "" : entry.slice(0, eq).trim();
    const token = eq < 0 ? "" : entry.slice(eq + 1).trim();
    addNamedToken(tokens, seen, name, token, `${source} entry ${i + 1}`);
  });
  return tokens;
}

/** Adds one named token, refusing bad names, empty or shared tokens; used for every token source. */
export function addNamedToken(
  tokens: Map<string, string>,
  seen: Set<string>,
  name: string,
  token: string,
  where: string,
): void {
  if (!TOKEN_NAME.test(name)) {
    throw new ConfigError(
      `${where}: the name ${JSON.stringify(name.slice(0, 70))} is not valid; names are 1-64 of a-z, 0-9 and -, not starting with id-, as in name=token.`,
    );
  }
  if (token === "") throw new ConfigError(`${where}: the token of ${name} is empty.`);
  if (tokens.has(name)) throw new ConfigError(`${where}: ${name} is named twice.`);
  if (seen.has(token)) throw new ConfigError(`${where}: ${name} has the same token as another name.`);
  tokens.set(name, token);
  seen.add(token);
}

/** Names that must never be copied into the kernel's environment. */
export function isSecretName(name: string): boolean {
  return (
    /^AWS_/.test(name) ||
    /^(MCP_AUTH_TOKEN|JUPYTER_TOKEN|MCP_CHECKPOINT_KEY)/.test(name) ||
    name === "_X_AMZN_TRACE_ID"
  );
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}
