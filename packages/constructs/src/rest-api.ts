/**
 * The REST API front door: an API Gateway REST API in front of the function's `live` alias that
 * streams the function's response (up to 15 minutes, where the HTTP API ends calls at 30 s and
 * buffers them) and can give each caller its own Lambda execution environments (tenant isolation).
 *
 * - Every route is a Lambda proxy integration through InvokeWithResponseStream:
 *   `response_transfer_mode = "STREAM"` and the `2021-11-15/…/response-streaming-invocations` URI
 *   ("Set up a Lambda proxy integration with payload response streaming",
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
 *   Streaming rules out endpoint caching and content encoding, and an edge-optimized endpoint
 *   would cut idle streams after 30 s (5 minutes for a regional one), hence REGIONAL
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html).
 * - Auth as in the HTTP API (rest-api-auth.ts); /health and the RFC 9728 metadata stay open.
 * - With tenant isolation, the integration sets X-Amz-Tenant-Id from the authenticated principal
 *   (rest-api-routes.ts, TENANT_SOURCES), never from anything the client sends.
 */
import { Construct } from "constructs";
import { Fn, Token, type ITerraformDependable, type Precondition } from "cdktf";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration/index.js";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method/index.js";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api/index.js";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { AwsContext } from "./aws-context.js";
import type { McpFunction } from "./function.js";
import { McpRestApiAuth } from "./rest-api-auth.js";
import {
  OPEN_ROUTE_TENANT,
  parseRoute,
  PROTECTED_RESOURCE_METADATA_ROUTES,
  resourceTree,
  REST_OPEN_ROUTES,
  REST_ROUTES,
  slug,
  TENANT_HEADER,
} from "./rest-api-routes.js";
import { McpRestApiStage } from "./rest-api-stage.js";
import { cognitoIssuer, firstSet, mergeEnvironments, oidcEnvironmentParts } from "./oauth.js";
import { and, isLiteral, isSet, not, NULL, or, pick, ref, type Cond, type OptString } from "./util.js";

export const OIDC_ISSUER_NEEDS_JWT =
  'oidc_issuer names the issuer of the tokens API Gateway checks: it goes with auth_type "jwt" only.';

/** Streaming integrations may run up to 15 minutes; 50 ms is API Gateway's floor. */
export const REST_TIMEOUT_MS = { min: 50, max: 900000 } as const;

export interface McpRestApiProps {
  readonly name: string;
  readonly fn: McpFunction;
  readonly context: AwsContext;
  /** "token" (default), "jwt" (Cognito or a Lambda authorizer) or "iam". */
  readonly authType?: string;
  readonly cognitoUserPoolArns?: string[];
  readonly cognitoAuthorizationScopes?: string[];
  readonly lambdaAuthorizerFunctionArn?: OptString;
  readonly authorizerResultTtlSeconds?: number;
  /** Integration timeout in ms, 50-900000 (default 900000: Lambda's own maximum of 15 minutes). */
  readonly integrationTimeoutMilliseconds?: number;
  /**
   * Map the authenticated principal to X-Amz-Tenant-Id. Must match the function's
   * `tenantIsolation`: Lambda refuses a tenant id for a function without it, and the reverse.
   */
  readonly tenantIsolation?: Cond;
  /** Stage name, the first path segment of the URL (default "v1"). */
  readonly stageName?: string;
  readonly throttlingBurstLimit?: number;
  readonly throttlingRateLimit?: number;
  readonly executionLoggingLevel?: string;
  readonly xrayTracingEnabled?: Cond;
  readonly accessLogRetentionDays?: number;
  readonly logKmsKeyArn?: string;
  readonly wafWebAclArn?: OptString;
  /**
   * Auth "jwt": the issuer the RFC 9728 metadata names (exactly the tokens' `iss`). Unset: with
   * Cognito, the first user pool's issuer; with a Lambda authorizer, none (no OAuth metadata).
   */
  readonly oidcIssuer?: OptString;
  /** More plan-time checks to carry on the REST API (e.g. the module's own combinations). */
  readonly preconditions?: Precondition[];
  readonly tags?: Record<string, string>;
}

export class McpRestApi extends Construct {
  readonly api: ApiGatewayRestApi;
  readonly auth: McpRestApiAuth;
  readonly stage: McpRestApiStage;
  /** Method and integration of each route key ("POST /mcp"). */
  readonly routes = new Map<string, { method: ApiGatewayMethod; integration: ApiGatewayIntegration }>();
  /** The stage's invoke URL, https://ID.execute-api.REGION.amazonaws.com/STAGE (no trailing slash). */
  readonly url: string;
  /** RFC 9728 metadata of the `/mcp` resource, under the stage. */
  readonly resourceMetadataUrl: string;

  constructor(scope: Construct, id: string, props: McpRestApiProps) {
    super(scope, id);
    const { fn, context: ctx, tags } = props;
    const stageName = props.stageName ?? "v1";
    const timeout = props.integrationTimeoutMilliseconds ?? REST_TIMEOUT_MS.max;
    if (!Token.isUnresolved(timeout) && (timeout < REST_TIMEOUT_MS.min || timeout > REST_TIMEOUT_MS.max)) {
      throw new Error(`integrationTimeoutMilliseconds must be ${REST_TIMEOUT_MS.min}-${REST_TIMEOUT_MS.max}`);
    }
    const tenant = props.tenantIsolation ?? false;

    this.api = new ApiGatewayRestApi(this, "api", {
      name: props.name,
      description: "Jupyter MCP server",
      endpointConfiguration: { types: ["REGIONAL"] },
      tags,
    });
    // Built from the API id, not the stage: the gateway's own 401 (part of the deployment) names it.
    // (amazonaws.com, or amazonaws.com.cn in China: the partition's DNS suffix.)
    const dnsSuffix = new DataAwsPartition(this, "partition").dnsSuffix;
    const base = `https://${this.api.id}.execute-api.${ctx.region}.${dnsSuffix}/${stageName}`;
    this.resourceMetadataUrl = `${base}${parseRoute(PROTECTED_RESOURCE_METADATA_ROUTES[1]).path}`;

    this.auth = new McpRestApiAuth(this, "auth", {
      restApiId: this.api.id,
      executionArn: this.api.executionArn,
      authType: props.authType,
      cognitoUserPoolArns: props.cognitoUserPoolArns,
      cognitoAuthorizationScopes: props.cognitoAuthorizationScopes,
      lambdaAuthorizerFunctionArn: props.lambdaAuthorizerFunctionArn,
      authorizerResultTtlSeconds: props.authorizerResultTtlSeconds,
      resourceMetadataUrl: this.resourceMetadataUrl,
      context: ctx,
    });

    // Tenant isolation needs a principal the gateway authenticated: in "token" mode only the
    // function knows the caller, after Lambda has already picked the environment.
    const tenantMessage =
      'tenant_isolation needs auth_type "jwt" or "iam": the tenant id is the principal API Gateway authenticated, and with "token" the gateway knows none.';
    const tenantOk = not(and(tenant, this.auth.isToken));
    if (tenantOk === false) throw new Error(tenantMessage);
    const oidcOk = or(not(isSet(props.oidcIssuer)), or(this.auth.usesCognito, this.auth.usesLambda));
    if (oidcOk === false) throw new Error(OIDC_ISSUER_NEEDS_JWT);
    const preconditions: Precondition[] = [
      ...this.auth.preconditions,
      ...(tenantOk === true ? [] : [{ condition: tenantOk, errorMessage: tenantMessage }]),
      ...(oidcOk === true ? [] : [{ condition: oidcOk, errorMessage: OIDC_ISSUER_NEEDS_JWT }]),
      ...(props.preconditions ?? []),
    ];
    if (preconditions.length > 0) this.api.lifecycle = { precondition: preconditions };

    // The same URL as a function call: a template string inside a conditional would not render.
    const publicUrl = Fn.format("https://%s.execute-api.%s.%s/%s", [
      this.api.id,
      ctx.region,
      dnsSuffix,
      stageName,
    ]);
    fn.addEnvironment(this.handlerEnvironment(props, dnsSuffix, publicUrl));

    const tree = resourceTree(this, this.api.id, this.api.rootResourceId, REST_ROUTES);
    const uri = `arn:${ctx.partition}:apigateway:${ctx.region}:lambda:path/2021-11-15/functions/${fn.alias.arn}/response-streaming-invocations`;
    const dependsOn: ITerraformDependable[] = [];
    const redeployOn: unknown[] = tree.resources.map((r) => r.id);

    for (const routeKey of REST_ROUTES) {
      const { method: httpMethod, path } = parseRoute(routeKey);
      const open = REST_OPEN_ROUTES.includes(routeKey);
      const key = slug(routeKey);
      const method = new ApiGatewayMethod(this, `method-${key}`, {
        restApiId: this.api.id,
        resourceId: tree.ids.get(path)!,
        httpMethod,
        authorization: open ? "NONE" : this.auth.authorization,
        authorizerId: open ? undefined : this.auth.authorizerId,
        authorizationScopes: open ? undefined : this.auth.authorizationScopes,
      });
      const integration = new ApiGatewayIntegration(this, `integration-${key}`, {
        restApiId: this.api.id,
        resourceId: method.resourceId,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri,
        responseTransferMode: "STREAM",
        timeoutMilliseconds: timeout,
        requestParameters: tenantParameters(tenant, open ? `'${OPEN_ROUTE_TENANT}'` : this.auth.tenantSource),
      });
      this.routes.set(routeKey, { method, integration });
      dependsOn.push(method, integration);
      redeployOn.push(
        method.id,
        method.authorization,
        integration.id,
        integration.uri,
        integration.timeoutMilliseconds,
        integration.responseTransferMode,
        Fn.jsonencode(integration.requestParameters),
      );
    }
    for (const authorizer of [this.auth.cognito, this.auth.lambda, this.auth.unauthorizedResponse]) {
      if (authorizer) redeployOn.push(ref(authorizer, "id"));
    }

    this.stage = new McpRestApiStage(this, "stage", {
      restApiId: this.api.id,
      name: props.name,
      stageName,
      redeployOn,
      dependsOn,
      throttlingBurstLimit: props.throttlingBurstLimit,
      throttlingRateLimit: props.throttlingRateLimit,
      executionLoggingLevel: props.executionLoggingLevel,
      xrayTracingEnabled: props.xrayTracingEnabled,
      accessLogRetentionDays: props.accessLogRetentionDays,
      logKmsKeyArn: props.logKmsKeyArn,
      wafWebAclArn: props.wafWebAclArn,
      tags,
    });
    this.url = Fn.trimsuffix(this.stage.stage.invokeUrl, "/");

    // lambda:InvokeFunction also covers InvokeWithResponseStream. Scoped to this API's stage.
    new LambdaPermission(this, "invoke-from-api", {
      statementId: "AllowRestApiInvoke",
      action: "lambda:InvokeFunction",
      functionName: fn.function.functionName,
      qualifier: fn.alias.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/${stageName}/*/*`,
    });
  }

  /**
   * What the handler must know about this door: every integration streams (MCP_LAMBDA_STREAMING=1;
   * keep-warm's asynchronous pings are answered in streaming form too, and nobody reads the
   * answer), and in "jwt" mode the issuer for the RFC 9728 metadata, the tokens having been checked
   * by the authorizer (front-door), and the stage URL as the public base (the event's path has no
   * stage, so the request URL is not the one clients use).
   */
  private handlerEnvironment(
    props: McpRestApiProps,
    dnsSuffix: string,
    base: string,
  ): Record<string, string> {
    const pools = props.cognitoUserPoolArns ?? [];
    const { usesCognito, usesLambda } = this.auth;
    const fromPool = isLiteral(usesCognito)
      ? usesCognito
        ? cognitoIssuer(Token.isUnresolved(pools) ? Fn.element(pools, 0) : pools[0]!, dnsSuffix)
        : NULL
      : pick(usesCognito, cognitoIssuer(Fn.element(pools, 0), dnsSuffix), NULL);
    const scopes = props.cognitoAuthorizationScopes ?? [];
    return mergeEnvironments([
      { MCP_LAMBDA_STREAMING: "1" },
      ...oidcEnvironmentParts({
        issuer: firstSet(props.oidcIssuer, fromPool),
        validation: "front-door",
        scopes: isLiteral(usesCognito)
          ? usesCognito
            ? scopes
            : []
          : Token.asList(pick(usesCognito, scopes, [])),
        publicUrl: base,
        enabled: or(usesCognito, usesLambda),
      }),
    ]);
  }
}

/** `{ X-Amz-Tenant-Id = source }` when tenant isolation holds, else no request parameters. */
function tenantParameters(tenant: Cond, source: string): Record<string, string> | undefined {
  if (isLiteral(tenant)) return tenant ? { [TENANT_HEADER]: source } : undefined;
  return Token.asStringMap(Fn.conditional(tenant, { [TENANT_HEADER]: source }, Token.nullValue()));
}
