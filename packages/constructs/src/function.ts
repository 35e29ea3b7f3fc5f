/**
 * The Lambda function: container image, its own log group with retention, a role that may write to
 * that log group and read exactly the token source it is given (or an existing role, see
 * function-role.ts), an alias `live` that the front door, the function URL and the keep-warm
 * schedule all target, and optional provisioned concurrency. Optional inputs named as
 * terraform-aws-modules/lambda names them: a VPC, a KMS key for the environment, X-Ray tracing,
 * logging levels.
 */
import { Construct } from "constructs";
import { Fn, Op, Token, type Precondition } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config/index.js";
import type { AuthToken } from "./auth-token.js";
import type { AwsContext } from "./aws-context.js";
import { functionRole, roleGivenCondition } from "./function-role.js";
import {
  lambdaLogging,
  lambdaVpc,
  type LambdaLoggingOptions,
  type LambdaVpcOptions,
} from "./function-options.js";
import type { McpWorkspace } from "./workspace.js";
import { isSet, NULL, pick, when, type Cond } from "./util.js";

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
  /** KMS key that encrypts the environment at rest (`kms_key_arn`); Lambda's AWS managed key when unset. */
  readonly kmsKeyArn?: string;
  /** X-Ray: "Active" (the role may write traces) or "PassThrough"; unset: PassThrough. */
  readonly tracingMode?: string;
  /** Subnets and security groups (`vpc_subnet_ids`, `vpc_security_group_ids`): the function's VPC. */
  readonly vpc?: LambdaVpcOptions;
  /** Log format and levels (`logging_log_format`, `logging_*_log_level`); JSON by default. */
  readonly logging?: LambdaLoggingOptions;
  /** Create the execution role (default true); otherwise `roleArn` is used and nothing is attached to it. */
  readonly createRole?: Cond;
  /** ARN of an existing execution role (`lambda_role`), when `createRole` does not hold. */
  readonly roleArn?: string;
  /** Permissions boundary of the created role (`role_permissions_boundary`). */
  readonly rolePermissionsBoundary?: string;
  /** Partition, region and account, for ARNs (needed with a VPC). */
  readonly context?: AwsContext;
  /**
   * Lambda tenant isolation (`tenancy_config { tenant_isolation_mode = "PER_TENANT" }`): each tenant
   * id gets execution environments of its own, so each caller its own kernel and /tmp. Every invoke
   * must then carry a tenant id, which only an API Gateway REST API can set (McpRestApi); Lambda
   * refuses it with function URLs, provisioned concurrency and most event sources, and it cannot be
   * changed after creation (changing it replaces the function).
   * https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html
   */
  readonly tenantIsolation?: Cond;
  readonly tags?: Record<string, string>;
}

export class McpFunction extends Construct {
  readonly function: LambdaFunction;
  readonly alias: LambdaAlias;
  /** The created execution role; undefined when an existing one is literally given. */
  readonly role?: IamRole;
  /** The execution role in use (created or given). */
  readonly roleArn: string;
  readonly roleName: string;
  /**
   * Every permission the function needs as one policy document, to attach to a role you bring
   * (undefined when the role is literally created here, which carries them itself).
   */
  readonly rolePolicyJson?: string;
  readonly logGroup: CloudwatchLogGroup;
  private readonly environmentParts: object[];
  private readonly extraEnvironment: Record<string, string>;

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

    const createRole = props.createRole ?? true;
    const vpc = lambdaVpc(props.vpc);
    const role = functionRole(this, {
      functionName: props.functionName,
      logGroup: this.logGroup,
      createRole,
      roleArn: props.roleArn,
      permissionsBoundary: props.rolePermissionsBoundary,
      authToken: props.authToken,
      workspace: props.workspace,
      vpc: vpc.enabled,
      tracingMode: props.tracingMode,
      context: props.context,
      tags,
    });
    this.role = role.role;
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.rolePolicyJson = role.policyJson;
    const token = props.authToken;

    this.environmentParts = [
      settingsEnvironment(props.settings),
      token ? pick(token.usesSecret, { MCP_AUTH_TOKEN_SECRET_ARN: token.secretArn }, {}) : {},
      token ? pick(token.usesSsm, { MCP_AUTH_TOKEN_SSM_PARAMETER: token.ssmParameterName }, {}) : {},
      props.allowInsecure !== undefined ? pick(props.allowInsecure, { MCP_ALLOW_INSECURE: "1" }, {}) : {},
      props.workspace?.environment ?? {},
    ];
    this.extraEnvironment = props.environment ?? {};

    const logging = lambdaLogging(this.logGroup.name, props.logging);
    const preconditions: Precondition[] = [
      ...(token?.preconditions() ?? []),
      ...vpc.preconditions,
      ...logging.preconditions,
    ];
    const roleGiven = roleGivenCondition(createRole, props.roleArn);
    if (roleGiven !== true) {
      preconditions.push({
        condition: roleGiven,
        errorMessage: "create_role = false needs lambda_role: the ARN of the execution role to use.",
      });
    }
    const kms = props.kmsKeyArn;
    const mode = props.tracingMode;
    const tracing =
      mode !== undefined && Token.isUnresolved(mode) ? Fn.coalesce([mode, "PassThrough"]) : mode;
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
      role: this.roleArn,
      loggingConfig: logging.config,
      environment: { variables: this.mergedEnvironment() },
      // null, not "", when unset: Lambda's AWS managed key.
      kmsKeyArn: kms === undefined ? undefined : pick(isSet(kms), kms, NULL),
      // No tracing_config is PassThrough, which Lambda reports back: the same with a null mode.
      tracingConfig: tracing === undefined ? undefined : { mode: tracing },
      vpcConfig: vpc.config,
      tags,
      dependsOn: role.logsPolicy ? [role.logsPolicy] : [],
      lifecycle: preconditions.length > 0 ? { precondition: preconditions } : undefined,
    });
    if (vpc.dynamic) this.function.addOverride("dynamic.vpc_config", vpc.dynamic);
    // A block cannot be chosen at plan time otherwise: a literal true is the plain block.
    const isolated = props.tenantIsolation ?? false;
    if (isolated === true) this.function.putTenancyConfig({ tenantIsolationMode: "PER_TENANT" });
    else if (isolated !== false) {
      this.function.addOverride("dynamic.tenancy_config", {
        for_each: Fn.conditional(isolated, [1], []),
        content: { tenant_isolation_mode: "PER_TENANT" },
      });
    }

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
  /**
   * More handler settings from what fronts the function (a front door's OAuth or streaming
   * variables); merged before the `environment` prop, which stays last.
   */
  addEnvironment(environment: Record<string, string>): void {
    this.environmentParts.push(environment);
    this.function.putEnvironment({ variables: this.mergedEnvironment() });
  }

  /** More plan-time checks on the function (e.g. a front door's combinations of inputs). */
  addPreconditions(preconditions: Precondition[]): void {
    if (preconditions.length === 0) return;
    const lifecycle = this.function.lifecycle ?? {};
    this.function.lifecycle = {
      ...lifecycle,
      precondition: [...(lifecycle.precondition ?? []), ...preconditions],
    };
  }

  private mergedEnvironment(): Record<string, string> {
    return Token.asStringMap(Fn.merge([...this.environmentParts, this.extraEnvironment]));
  }
}
