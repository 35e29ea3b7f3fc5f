/**
 * The Lambda function: container image, its own log group with retention, a role that may write to
 * that log group and read exactly the token source it is given, an alias `live` that the front door,
 * the function URL and the keep-warm schedule all target, and optional provisioned concurrency.
 */
import { Construct } from "constructs";
import { Fn, Op, Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config/index.js";
import type { AuthToken } from "./auth-token.js";
import type { McpWorkspace } from "./workspace.js";
import { assumeRoleDocument, pick, rolePolicy, when, type Cond } from "./util.js";

/** Handler settings, passed as environment variables (names are the handler's contract). */
export interface McpSettings {
  /** MCP_DEFAULT_TIMEOUT_SECONDS: per-call execution timeout when the client gives none. */
  readonly defaultTimeoutSeconds?: string;
  /** MCP_MAX_TIMEOUT_SECONDS: the largest timeout a client may ask for. */
  readonly maxTimeoutSeconds?: string;
  /** MCP_MAX_OUTPUT_CHARS: output is truncated past this many characters. */
  readonly maxOutputChars?: string;
  /** MCP_BASE_PATH: path prefix in front of /mcp and /health (e.g. an API mapping key). */
  readonly basePath?: string;
  /** JUPYTER_STATE_ROOT: where kernels keep their files; default /tmp/jupyter-mcp. */
  readonly stateRoot?: string;
  /** KERNEL_PRELOAD: comma list of modules to import on keep-warm, e.g. "numpy,pandas,matplotlib". */
  readonly kernelPreload?: string;
}

/** The environment map for the handler, without auth (added by the caller). */
export function settingsEnvironment(s: McpSettings = {}): Record<string, string> {
  const env: Record<string, string> = { JUPYTER_STATE_ROOT: s.stateRoot ?? "/tmp/jupyter-mcp" };
  if (s.defaultTimeoutSeconds !== undefined) env.MCP_DEFAULT_TIMEOUT_SECONDS = s.defaultTimeoutSeconds;
  if (s.maxTimeoutSeconds !== undefined) env.MCP_MAX_TIMEOUT_SECONDS = s.maxTimeoutSeconds;
  if (s.maxOutputChars !== undefined) env.MCP_MAX_OUTPUT_CHARS = s.maxOutputChars;
  if (s.basePath !== undefined) env.MCP_BASE_PATH = s.basePath;
  if (s.kernelPreload !== undefined) env.KERNEL_PRELOAD = s.kernelPreload;
  return env;
}

export interface McpFunctionProps {
  readonly functionName: string;
  /** Image URI (tag or digest) in ECR. */
  readonly imageUri: string;
  /** "arm64" (default, cheaper) or "x86_64"; must match the image. */
  readonly architecture?: string;
  readonly memorySize?: number;
  readonly timeout?: number;
  /** /tmp size in MB (512-10240); kernels and their files live there. */
  readonly ephemeralStorageSize?: number;
  /**
   * Reserved concurrency; none by default (the function uses the account's unreserved pool).
   *
   * It used to default to 1, which many accounts cannot apply: AWS keeps 100 units of every
   * account's concurrency unreserved ("You can reserve up to the Unreserved account concurrency
   * value minus 100. The remaining 100 units of concurrency are for functions that aren't using
   * reserved concurrency.", https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html),
   * so with the concurrency quota of 10 that new accounts get, reserving even 1 fails with
   * "Specified ReservedConcurrentExecutions for function decreases account's
   * UnreservedConcurrentExecution below its minimum value". Nor does 1 make calls queue: beyond the
   * reservation a synchronous invoke is throttled (429). State follows a caller across execution
   * environments through the session checkpoints instead (see McpWorkspace `sessions`).
   * Set it to cap the function (and then provisioned concurrency must not exceed it).
   */
  readonly reservedConcurrency?: number;
  /** Provisioned concurrency on the `live` alias; 0 (default) for none. */
  readonly provisionedConcurrency?: number;
  readonly logRetentionDays?: number;
  readonly logKmsKeyArn?: string;
  readonly settings?: McpSettings;
  /** The token source, when token auth is used; grants the role read access to exactly it. */
  readonly authToken?: AuthToken;
  /** MCP_ALLOW_INSECURE=1: the handler accepts calls without a token (auth happens in front). */
  readonly allowInsecure?: Cond;
  /** Workspace bucket: its environment variables, and access to its prefix for the role. */
  readonly workspace?: McpWorkspace;
  /** Extra environment variables, merged last. */
  readonly environment?: Record<string, string>;
  readonly tags?: Record<string, string>;
}

export class McpFunction extends Construct {
  readonly function: LambdaFunction;
  readonly alias: LambdaAlias;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: McpFunctionProps) {
    super(scope, id);
    const tags = props.tags;

    // No default: see reservedConcurrency. A module passes a variable that may be null (unset).
    const reserved = props.reservedConcurrency;
    const pc = props.provisionedConcurrency ?? 0;
    if (reserved !== undefined && !Token.isUnresolved(reserved) && !Token.isUnresolved(pc) && pc > reserved) {
      throw new Error("provisionedConcurrency cannot exceed reservedConcurrency");
    }
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.logKmsKeyArn,
      tags,
    });

    this.role = new IamRole(this, "role", {
      name: `${props.functionName}-lambda`,
      assumeRolePolicy: assumeRoleDocument(this, "assume", "lambda.amazonaws.com").json,
      tags,
    });

    const logs = rolePolicy(this, "logs", this.role, true, [
      {
        sid: "OwnLogGroupOnly",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
    ]);
    const token = props.authToken;
    if (token) {
      rolePolicy(this, "auth-secret", this.role, token.usesSecret, [
        {
          sid: "ReadAuthTokenSecret",
          actions: ["secretsmanager:GetSecretValue"],
          resources: [token.secretArn],
        },
      ]);
      rolePolicy(this, "auth-ssm", this.role, token.usesSsm, [
        { sid: "ReadAuthTokenParameter", actions: ["ssm:GetParameter"], resources: [token.ssmParameterArn] },
      ]);
      if (token.kmsKeyArn !== undefined) {
        rolePolicy(this, "auth-kms", this.role, token.usesKms, [
          { sid: "DecryptAuthToken", actions: ["kms:Decrypt"], resources: [token.kmsKeyArn] },
        ]);
      }
    }

    props.workspace?.grant(this, "workspace", this.role);

    const environment = Fn.merge([
      settingsEnvironment(props.settings),
      token ? pick(token.usesSecret, { MCP_AUTH_TOKEN_SECRET_ARN: token.secretArn }, {}) : {},
      token ? pick(token.usesSsm, { MCP_AUTH_TOKEN_SSM_PARAMETER: token.ssmParameterName }, {}) : {},
      props.allowInsecure !== undefined ? pick(props.allowInsecure, { MCP_ALLOW_INSECURE: "1" }, {}) : {},
      props.workspace?.environment ?? {},
      props.environment ?? {},
    ]);

    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: "Jupyter MCP server",
      packageType: "Image",
      imageUri: props.imageUri,
      architectures: [props.architecture ?? "arm64"],
      memorySize: props.memorySize ?? 2048,
      timeout: props.timeout ?? 900,
      ephemeralStorage: { size: props.ephemeralStorageSize ?? 2048 },
      reservedConcurrentExecutions: reserved,
      publish: true,
      role: this.role.arn,
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      environment: { variables: Token.asStringMap(environment) },
      tags,
      dependsOn: logs ? [logs] : [],
    });

    this.alias = new LambdaAlias(this, "live", {
      name: "live",
      description: "What the front door, the function URL and keep-warm invoke",
      functionName: this.function.functionName,
      functionVersion: this.function.version,
    });

    const hasPc: Cond = Token.isUnresolved(pc) ? Op.gte(pc, 1) : pc > 0;
    // Provisioned <= reserved only when a reservation is set: a literal one was checked above; a
    // plan-time one may be null (no reservation), and Terraform's conditional skips the comparison.
    const withinReserved =
      reserved !== undefined && (Token.isUnresolved(reserved) || Token.isUnresolved(pc))
        ? [
            {
              condition: Token.isUnresolved(reserved)
                ? Fn.conditional(Op.eq(reserved, Token.nullValue()), true, Op.lte(pc, reserved))
                : Op.lte(pc, reserved),
              errorMessage: "Provisioned concurrency cannot exceed the function's reserved concurrency.",
            },
          ]
        : [];
    when(
      hasPc,
      (count) =>
        new LambdaProvisionedConcurrencyConfig(this, "provisioned", {
          count,
          functionName: this.function.functionName,
          qualifier: this.alias.name,
          provisionedConcurrentExecutions: pc,
          lifecycle: withinReserved.length > 0 ? { precondition: withinReserved } : undefined,
        }),
    );
  }
}
