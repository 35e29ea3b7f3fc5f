/**
 * Lambda + REST API: the function from the container image behind an API Gateway REST API that
 * streams its responses (up to 15 minutes) and, with tenant_isolation, gives every caller execution
 * environments of its own. Token, JWT (Cognito or a Lambda authorizer) or IAM auth. Variables and
 * outputs are the module's interface (modules/lambda-rest-api).
 */
import { App, Fn, Op, Token } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import {
  AuthToken,
  AwsContext,
  handlerSettingsVariables,
  lambdaPlatformVariables,
  logVariables,
  McpFunction,
  McpRestApi,
  ModuleStack,
  moduleWorkspace,
  OPEN_ROUTE_TENANT,
  pick,
  sessionVariables,
  tagsVariable,
  workspaceOutputs,
  workspaceVariables,
} from "@jupyter-mcp/constructs";
import { functionVariables, tokenVariables } from "./function-variables.js";
import { restAuthVariables, restStageVariables } from "./rest-variables.js";

export const MODULE_NAME = "lambda-rest-api";

export class LambdaRestApiStack extends ModuleStack {
  constructor(scope: App, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", {});
    const context = new AwsContext(this, "context");

    const f = functionVariables(this);
    const logs = logVariables(this);
    const platform = lambdaPlatformVariables(this);
    const auth = restAuthVariables(this);
    const tok = tokenVariables(this);
    const rest = restStageVariables(this);
    const environment = handlerSettingsVariables(this);
    const ws = workspaceVariables(this);
    const sessions = sessionVariables(this);
    const tags = tagsVariable(this);

    const isToken = Op.eq(auth.authType, "token");
    const token = new AuthToken(this, "auth_token", {
      name: f.functionName,
      enabled: isToken,
      secretArn: tok.secretArn,
      ssmParameterName: tok.ssmParameterName,
      createSecret: tok.createSecret,
      kmsKeyArn: tok.kmsKeyArn,
      tags,
      context,
    });
    const workspace = moduleWorkspace(this, { name: f.functionName, ws, sessions, tags, context });
    // Tell the handler that Lambda routes by tenant, and which tenant is the open routes' (no caller).
    const tenantEnvironment = pick(
      rest.tenantIsolation,
      { MCP_TENANT_ISOLATION: "PER_TENANT", MCP_UNAUTHENTICATED_TENANT_ID: OPEN_ROUTE_TENANT },
      {},
    );
    const fn = new McpFunction(this, "lambda", {
      ...f,
      ...platform,
      logRetentionDays: logs.retentionDays,
      logKmsKeyArn: logs.kmsKeyArn,
      authToken: token,
      // JWT and IAM are checked by API Gateway; the handler then accepts calls without a token.
      allowInsecure: Op.not(isToken),
      workspace,
      environment: Token.asStringMap(Fn.merge([tenantEnvironment, environment])),
      tenantIsolation: rest.tenantIsolation,
      context,
      tags,
    });
    const api = new McpRestApi(this, "rest_api", {
      name: f.functionName,
      fn,
      context,
      ...auth,
      ...rest,
      accessLogRetentionDays: logs.retentionDays,
      logKmsKeyArn: logs.kmsKeyArn,
      preconditions: [
        {
          // (< 1, not == 0: CDKTF renders a literal 0 operand of Op.* as "undefined".)
          condition: Op.or(Op.not(rest.tenantIsolation), Op.lt(f.provisionedConcurrency, 1)),
          errorMessage:
            "tenant_isolation cannot be combined with provisioned concurrency (Lambda does not offer it for tenant-isolated functions): set provisioned_concurrent_executions = 0.",
        },
      ],
      tags,
    });
    this.outputs(api, fn, token);
    workspaceOutputs(this, workspace);
  }

  private outputs(api: McpRestApi, fn: McpFunction, token: AuthToken): void {
    this.output("api_endpoint", {
      value: api.url,
      description: "Base URL of the REST API: its stage's invoke URL, without a trailing slash.",
    });
    this.output("mcp_url", {
      value: `${api.url}/mcp`,
      description: "The MCP endpoint to give to clients (Streamable HTTP, streamed).",
    });
    this.output("health_url", {
      value: `${api.url}/health`,
      description: "Unauthenticated health check URL.",
    });
    this.output("resource_metadata_url", {
      value: api.resourceMetadataUrl,
      description: "RFC 9728 protected resource metadata of /mcp (unauthenticated).",
    });
    this.output("api_id", { value: api.api.id, description: "ID of the REST API." });
    this.output("api_execution_arn", {
      value: api.api.executionArn,
      description:
        'Execution ARN of the REST API (for IAM policies of callers with auth_type "iam": execute-api:Invoke on <this>/<stage>/*).',
    });
    this.output("stage_name", { value: api.stage.stage.stageName, description: "Name of the stage." });
    this.output("stage_arn", {
      value: api.stage.stage.arn,
      description: "ARN of the stage (what a WAF web ACL is associated with).",
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
      description:
        "ARN of the `live` alias that the API invokes. With tenant_isolation do not give it to the keep-warm module: its pings carry no tenant id and Lambda refuses them.",
    });
    this.output("function_alias_name", { value: fn.alias.name, description: "Name of the alias (`live`)." });
    this.output("role_arn", {
      value: fn.roleArn,
      description: "ARN of the function's execution role (created or given).",
    });
    this.output("role_name", {
      value: fn.roleName,
      description: "Name of the function's execution role (attach extra policies to it, e.g. for S3).",
    });
    this.output("log_group_name", { value: fn.logGroup.name, description: "The function's log group." });
    this.output("api_access_log_group_name", {
      value: api.stage.accessLogGroup.name,
      description: "The REST API stage's access log group.",
    });
    this.output("auth_token_secret_arn", {
      value: token.secretArn,
      description:
        "Secret holding the bearer token (created or given); null when the token is in SSM or auth_type is not token.",
    });
  }
}

export function buildApp(outdir?: string): { app: App; stack: LambdaRestApiStack } {
  const app = new App({ outdir, skipValidation: false });
  const stack = new LambdaRestApiStack(app, MODULE_NAME);
  return { app, stack };
}
