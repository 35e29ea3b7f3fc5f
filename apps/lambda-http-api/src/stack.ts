/**
 * Lambda + HTTP API: the function from the container image behind an API Gateway HTTP API, with
 * token, JWT or IAM auth (and JWTs the function checks itself with oidc_issuer), an optional
 * function URL (buffered, or streamed with the HTTP API off), custom domain and CORS. Variables and outputs
 * are the module's interface (modules/lambda-http-api); the front door's are in
 * front-door-variables.ts, the function's platform inputs in the constructs' function-inputs.ts.
 */
import { App, Fn, Op } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import {
  AuthToken,
  authTokenVariables,
  AwsContext,
  handlerSettingsVariables,
  lambdaPlatformVariables,
  logVariables,
  McpFunction,
  McpHttpApi,
  ModuleStack,
  moduleWorkspace,
  rule,
  sessionVariables,
  tagsVariable,
  workspaceOutputs,
  workspaceVariables,
} from "@jupyter-mcp/constructs";
import { frontDoorVariables } from "./front-door-variables.js";

export const MODULE_NAME = "lambda-http-api";

export class LambdaHttpApiStack extends ModuleStack {
  constructor(scope: App, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", {});
    const context = new AwsContext(this, "context");

    const functionName = this.variable("function_name", {
      type: "string",
      default: "jupyter-mcp",
      description:
        "Name of the Lambda function; also the prefix of the API, the roles, the secret and the log groups.",
      validation: [
        rule(
          'can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))',
          "function_name must be 1-56 letters, digits, hyphens or underscores.",
        ),
      ],
    }).stringValue;
    const imageUri = this.variable("image_uri", {
      type: "string",
      description:
        "ECR image URI of the server (packages/handler/Dockerfile), by tag or digest, e.g. the image module's image_uri output or what your CI pushed.",
      validation: [
        rule(
          'can(regex("^[0-9]{12}\\\\.dkr\\\\.ecr\\\\.[a-z0-9-]+\\\\.amazonaws\\\\.com(\\\\.cn)?/[^:@]+(:[^:@]+|@sha256:[0-9a-f]{64})$", var.image_uri))',
          "image_uri must be an ECR image URI with a tag or a sha256 digest.",
        ),
      ],
    }).stringValue;
    const architecture = this.variable("architecture", {
      type: "string",
      default: "arm64",
      description: 'Instruction set of the function: "arm64" or "x86_64". Must match the image.',
      validation: [
        rule('contains(["arm64", "x86_64"], var.architecture)', 'architecture must be "arm64" or "x86_64".'),
      ],
    }).stringValue;
    const memorySize = this.variable("memory_size", {
      type: "number",
      default: 2048,
      description:
        "Memory of the function in MB (CPU scales with it). The kernel and its libraries live here.",
      validation: [
        rule(
          "var.memory_size >= 512 && var.memory_size <= 10240",
          "memory_size must be between 512 and 10240.",
        ),
      ],
    }).numberValue;
    const timeout = this.variable("timeout", {
      type: "number",
      default: 900,
      description:
        "Function timeout in seconds. Calls through the HTTP API stop at 30 s regardless; use the function URL for longer calls.",
      validation: [rule("var.timeout >= 1 && var.timeout <= 900", "timeout must be between 1 and 900.")],
    }).numberValue;
    const ephemeral = this.variable("ephemeral_storage_size", {
      type: "number",
      default: 2048,
      description: "Size of /tmp in MB, where the kernel's files live (JUPYTER_STATE_ROOT).",
      validation: [
        rule(
          "var.ephemeral_storage_size >= 512 && var.ephemeral_storage_size <= 10240",
          "ephemeral_storage_size must be between 512 and 10240.",
        ),
      ],
    }).numberValue;
    // No reservation by default: AWS keeps 100 units of the account's concurrency unreserved, so
    // accounts with a quota of 10 cannot apply any (see McpFunctionProps.reservedConcurrency).
    const reserved = this.variable("reserved_concurrent_executions", {
      type: "number",
      default: null,
      description:
        "Reserved concurrency: caps the function and reserves that much of the account's concurrency. null (default) reserves none, which every account can apply (AWS keeps 100 units unreserved, so an account whose concurrency quota is 10 cannot reserve any). Calls beyond the cap are throttled (429), not queued; 0 throttles every call (an off switch). With sessions (a workspace bucket) a caller's variables follow it to any execution environment.",
      validation: [
        rule(
          "var.reserved_concurrent_executions == null ? true : (var.reserved_concurrent_executions >= 0 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions)",
          "reserved_concurrent_executions must be null or a whole number, 0 or more.",
        ),
      ],
    }).numberValue;
    const provisioned = this.variable("provisioned_concurrent_executions", {
      type: "number",
      default: 0,
      description:
        "Provisioned concurrency on the `live` alias (0 for none). Removes cold starts at a fixed hourly cost; at most reserved_concurrent_executions when that is set. Change it and image_uri in separate applies (see the README).",
      validation: [
        rule(
          "var.provisioned_concurrent_executions >= 0",
          "provisioned_concurrent_executions must be 0 or more.",
        ),
      ],
    }).numberValue;
    const logs = logVariables(this);

    const platform = lambdaPlatformVariables(this);
    const door = frontDoorVariables(this);
    const tokenInputs = authTokenVariables(this, "lambda");
    const environment = handlerSettingsVariables(this);
    const ws = workspaceVariables(this);
    const sessions = sessionVariables(this);
    const tags = tagsVariable(this);

    const isToken = Op.eq(door.authType, "token");
    const { oidcIssuerSet, ...doorProps } = door;
    const token = new AuthToken(this, "auth_token", {
      name: functionName,
      enabled: isToken,
      // JWT callers only (oidc_issuer, checked by the function) need no token.
      optionalWhen: oidcIssuerSet,
      ...tokenInputs,
      tags,
      context,
    });
    const workspace = moduleWorkspace(this, { name: functionName, ws, sessions, tags, context });
    const fn = new McpFunction(this, "lambda", {
      functionName,
      imageUri,
      architecture,
      memorySize,
      timeout,
      ephemeralStorageSize: ephemeral,
      reservedConcurrency: reserved,
      provisionedConcurrency: provisioned,
      logRetentionDays: logs.retentionDays,
      logKmsKeyArn: logs.kmsKeyArn,
      authToken: token,
      // JWT and IAM are checked by API Gateway; the handler then accepts calls without a token.
      allowInsecure: Op.not(isToken),
      workspace,
      environment,
      ...platform,
      context,
      tags,
    });
    const api = new McpHttpApi(this, "http_api", {
      ...doorProps,
      name: functionName,
      fn,
      accessLogRetentionDays: logs.retentionDays,
      logKmsKeyArn: logs.kmsKeyArn,
      tags,
    });

    // Without the HTTP API the function URL is the front door (a precondition ensures there is one).
    const endpoint = Fn.conditional(
      door.createHttpApi,
      Fn.trimsuffix(api.url, "/"),
      Fn.trimsuffix(api.functionUrlValue, "/"),
    ) as string;
    this.output("api_endpoint", {
      value: endpoint,
      description:
        "Base URL of the HTTP API (https://<domain_name> with a custom domain); with create_http_api = false, of the function URL.",
    });
    this.output("mcp_url", {
      value: `${endpoint}/mcp`,
      description:
        "The MCP endpoint to give to clients (Streamable HTTP): the HTTP API's, or with create_http_api = false the function URL's.",
    });
    this.output("health_url", {
      value: `${endpoint}/health`,
      description: "Unauthenticated health check URL.",
    });
    this.output("function_url", {
      value: api.functionUrlValue,
      description: "Lambda function URL (null unless create_function_url); append /mcp.",
    });
    this.output("api_id", {
      value: api.apiId,
      description: "ID of the HTTP API (null with create_http_api = false).",
    });
    this.output("function_name", {
      value: fn.function.functionName,
      description: "Name of the Lambda function.",
    });
    this.output("function_arn", {
      value: fn.function.arn,
      description: "ARN of the Lambda function (unqualified).",
    });
    this.output("function_alias_arn", {
      value: fn.alias.arn,
      description: "ARN of the `live` alias that everything invokes; give it to the keep-warm module.",
    });
    this.output("function_alias_name", { value: fn.alias.name, description: "Name of the alias (`live`)." });
    this.output("role_arn", {
      value: fn.roleArn,
      description: "ARN of the function's execution role (created, or lambda_role).",
    });
    this.output("role_name", {
      value: fn.roleName,
      description: "Name of the function's execution role (attach extra policies to it, e.g. for S3).",
    });
    this.output("role_policy_json", {
      value: fn.rolePolicyJson,
      description:
        "Every permission the function needs, as one IAM policy document: attach it to lambda_role when create_role = false (a created role carries these as inline policies).",
    });
    this.output("api_domain_target", {
      value: { domain_name: api.domain.targetDomainName, hosted_zone_id: api.domain.hostedZoneId },
      description:
        "With domain_name: the target of a DNS alias record for it (null attributes without a domain).",
    });
    this.output("log_group_name", { value: fn.logGroup.name, description: "The function's log group." });
    this.output("api_access_log_group_name", {
      value: api.accessLogGroupName,
      description: "The HTTP API's access log group (null with create_http_api = false).",
    });
    this.output("auth_token_secret_arn", {
      value: token.secretArn,
      description:
        "Secret holding the bearer token (created or given); null when the token is in SSM or auth_type is not token.",
    });
    workspaceOutputs(this, workspace);
  }
}

export function buildApp(outdir?: string): { app: App; stack: LambdaHttpApiStack } {
  const app = new App({ outdir, skipValidation: false });
  const stack = new LambdaHttpApiStack(app, MODULE_NAME);
  return { app, stack };
}
