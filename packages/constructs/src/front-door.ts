/**
 * The front door: an HTTP API in front of the function's `live` alias, with access logs, throttling
 * and one of three auth modes, plus an optional Lambda function URL for calls longer than the HTTP
 * API's 30 s integration limit (function-url.ts), and an optional custom domain and CORS
 * (front-door-domain.ts). What the function must know about its front door (OAuth, streaming) and
 * the combinations that cannot work are in front-door-env.ts.
 *
 * Auth modes:
 * - "token": the function checks `Authorization: Bearer <token>` against the token it reads at init
 *   (and, given an OIDC issuer, JWTs of that issuer too). The routes are `NONE` at the gateway (a
 *   deliberate difference from CKV_AWS_309, documented).
 * - "jwt": an HTTP API JWT authorizer (OIDC issuer + audience, e.g. Cognito) on every MCP route.
 * - "iam": AWS_IAM (SigV4) on every MCP route.
 * `GET /health` and the RFC 9728 metadata routes are always open (routes.ts, OPEN_ROUTES): they tell
 * nothing about any caller, and MCP clients read the metadata before they have a token.
 *
 * `createHttpApi = false` leaves the function URL as the only door (needed for a RESPONSE_STREAM URL,
 * whose streaming handler the HTTP API's buffered integration cannot invoke).
 */
import { Construct } from "constructs";
import { Fn, Op, Token, type IResolvable, type TerraformResource } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api/index.js";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer/index.js";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration/index.js";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route/index.js";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import type { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { McpFunction } from "./function.js";
import { functionUrl } from "./function-url.js";
import { frontDoorEnvironment, type HttpApiOidc } from "./front-door-env.js";
import {
  baseUrl,
  httpApiCors,
  httpApiDomain,
  type ApiDomain,
  type HttpApiCors,
  type HttpApiDomainOptions,
} from "./front-door-domain.js";
import { MCP_ROUTES, OPEN_ROUTES } from "./routes.js";
import { and, eq, NULL, pick, ref, when, type Cond } from "./util.js";

export { HEALTH_ROUTE, MCP_ROUTES, PROTECTED_RESOURCE_METADATA_ROUTES } from "./routes.js";
export const AUTH_TYPES = ["token", "jwt", "iam"] as const;
export const FUNCTION_URL_INVOKE_MODES = ["BUFFERED", "RESPONSE_STREAM"] as const;

export interface McpHttpApiProps {
  readonly name: string;
  readonly fn: McpFunction;
  /** "token" (default), "jwt" or "iam". */
  readonly authType?: string;
  /** JWT issuer URL (auth "jwt"), e.g. https://cognito-idp.REGION.amazonaws.com/POOL_ID. */
  readonly jwtIssuer?: string;
  /** JWT audiences (auth "jwt"), e.g. the Cognito app client id. */
  readonly jwtAudience?: string[];
  /** Create the HTTP API (default true); false leaves the function URL as the only door. */
  readonly createHttpApi?: Cond;
  readonly throttlingBurstLimit?: number;
  readonly throttlingRateLimit?: number;
  readonly accessLogRetentionDays?: number;
  readonly logKmsKeyArn?: string;
  /** Create a Lambda function URL on the `live` alias (for calls longer than 30 s). */
  readonly createFunctionUrl?: Cond;
  /** "AWS_IAM" (default) or "NONE" (only with auth "token": the function checks the token). */
  readonly functionUrlAuthType?: string;
  /** With AWS_IAM: account ids or IAM ARNs admitted by the URL's resource policy (see function-url.ts). */
  readonly functionUrlAllowedPrincipals?: string[];
  /** "BUFFERED" (default) or "RESPONSE_STREAM" (then the handler streams: no HTTP API). */
  readonly functionUrlInvokeMode?: string;
  /** Auth "token": JWTs of this issuer are accepted too, checked by the function (in-server). */
  readonly oidc?: HttpApiOidc;
  /** A custom domain for the API (see front-door-domain.ts). */
  readonly domain?: HttpApiDomainOptions;
  /** CORS: a literal object, or a plan-time object-or-null. */
  readonly cors?: HttpApiCors | IResolvable;
  readonly tags?: Record<string, string>;
}

export class McpHttpApi extends Construct {
  /** The HTTP API and its parts; undefined when `createHttpApi` is literally false. */
  readonly api?: Apigatewayv2Api;
  readonly stage?: Apigatewayv2Stage;
  readonly accessLogGroup?: CloudwatchLogGroup;
  readonly routes: Apigatewayv2Route[] = [];
  readonly authorizer?: Apigatewayv2Authorizer;
  readonly functionUrl?: LambdaFunctionUrl;
  /** The API's id, or null without an HTTP API. */
  readonly apiId: string;
  /** The access log group's name, or null without an HTTP API. */
  readonly accessLogGroupName: string;
  /** https://<domain> with a custom domain, else the `$default` stage's invoke URL; null without an API. */
  readonly url: string;
  /** Whether a custom domain is in use, its URL and its DNS alias target. */
  readonly domain: ApiDomain;
  /** The function URL, or null. */
  readonly functionUrlValue: string;

  constructor(scope: Construct, id: string, props: McpHttpApiProps) {
    super(scope, id);
    const tags = props.tags;
    const fn = props.fn;
    const authType = props.authType ?? "token";
    if (!Token.isUnresolved(authType) && !(AUTH_TYPES as readonly string[]).includes(authType)) {
      throw new Error(`authType must be one of ${AUTH_TYPES.join(", ")}; got ${authType}`);
    }
    const isJwt = eq(authType, "jwt");
    const isIam = eq(authType, "iam");
    const create = props.createHttpApi ?? true;
    const createUrl = props.createFunctionUrl ?? false;
    const env = frontDoorEnvironment({
      ...props,
      authType,
      createHttpApi: create,
      createFunctionUrl: createUrl,
    });
    if (env.environment !== undefined) fn.addEnvironment(env.environment);
    fn.addPreconditions(env.preconditions);

    const api = when(
      create,
      (count) =>
        new Apigatewayv2Api(this, "api", {
          count,
          name: props.name,
          description: "Jupyter MCP server",
          protocolType: "HTTP",
          tags,
        }),
    );
    this.api = api;
    this.apiId = api ? attr(api, "id") : NULL;
    if (api) httpApiCors(api, props.cors);

    const integration = when(
      create,
      (count) =>
        new Apigatewayv2Integration(this, "integration", {
          count,
          apiId: this.apiId,
          integrationType: "AWS_PROXY",
          integrationUri: fn.alias.invokeArn,
          payloadFormatVersion: "2.0",
          timeoutMilliseconds: 30000,
        }),
    );

    this.authorizer = when(
      and(create, isJwt),
      (count) =>
        new Apigatewayv2Authorizer(this, "jwt", {
          count,
          apiId: this.apiId,
          name: "jwt",
          authorizerType: "JWT",
          identitySources: ["$request.header.Authorization"],
          jwtConfiguration: { issuer: props.jwtIssuer, audience: props.jwtAudience },
          lifecycle: {
            precondition: [
              {
                condition: Op.and(
                  Op.gte(Fn.lengthOf(Fn.compact([props.jwtIssuer ?? ""])), 1),
                  Op.gte(Fn.lengthOf(props.jwtAudience ?? []), 1),
                ),
                errorMessage: 'auth_type "jwt" needs jwt_issuer and at least one jwt_audience.',
              },
            ],
          },
        }),
    );
    const authorizationType = pick(isJwt, "JWT", pick(isIam, "AWS_IAM", "NONE"));
    const authorizerId = this.authorizer ? pick(isJwt, ref(this.authorizer, "id"), NULL) : undefined;

    if (integration) {
      const target = `integrations/${attr(integration, "id")}`;
      for (const routeKey of [...MCP_ROUTES, ...OPEN_ROUTES]) {
        const open = OPEN_ROUTES.includes(routeKey);
        this.routes.push(
          new Apigatewayv2Route(this, `route-${slug(routeKey)}`, {
            count: integration.count,
            apiId: this.apiId,
            routeKey,
            target,
            authorizationType: open ? "NONE" : authorizationType,
            authorizerId: open ? undefined : authorizerId,
          }),
        );
      }
    }

    this.accessLogGroup = when(
      create,
      (count) =>
        new CloudwatchLogGroup(this, "access-logs", {
          count,
          name: `/aws/apigateway/${props.name}`,
          retentionInDays: props.accessLogRetentionDays ?? 30,
          kmsKeyId: props.logKmsKeyArn,
          tags,
        }),
    );
    this.accessLogGroupName = this.accessLogGroup ? attr(this.accessLogGroup, "name") : NULL;

    this.stage = when(
      create,
      (count) =>
        new Apigatewayv2Stage(this, "stage", {
          count,
          apiId: this.apiId,
          name: "$default",
          autoDeploy: true,
          accessLogSettings: {
            destinationArn: this.accessLogGroup ? attr(this.accessLogGroup, "arn") : NULL,
            format: JSON.stringify({
              requestId: "$context.requestId",
              ip: "$context.identity.sourceIp",
              requestTime: "$context.requestTime",
              routeKey: "$context.routeKey",
              status: "$context.status",
              responseLength: "$context.responseLength",
              integrationLatency: "$context.integrationLatency",
              integrationError: "$context.integrationErrorMessage",
              authorizerError: "$context.authorizer.error",
            }),
          },
          defaultRouteSettings: {
            throttlingBurstLimit: props.throttlingBurstLimit ?? 10,
            throttlingRateLimit: props.throttlingRateLimit ?? 5,
          },
          tags,
        }),
    );
    const stageId = this.stage ? attr(this.stage, "id") : NULL;
    this.domain = httpApiDomain(this, { apiId: this.apiId, stageId, create }, props.domain ?? {}, tags);
    const stageUrl = this.stage ? attr(this.stage, "invoke_url") : NULL;
    this.url = pick(create, baseUrl(this.domain, stageUrl), NULL);

    when(
      create,
      (count) =>
        new LambdaPermission(this, "invoke-from-api", {
          count,
          statementId: "AllowHttpApiInvoke",
          action: "lambda:InvokeFunction",
          functionName: fn.function.functionName,
          qualifier: fn.alias.name,
          principal: "apigateway.amazonaws.com",
          sourceArn: `${api ? attr(api, "execution_arn") : NULL}/*/*`,
        }),
    );

    const url = functionUrl(this, {
      fn,
      authType,
      create: createUrl,
      authorizationType: props.functionUrlAuthType,
      allowedPrincipals: props.functionUrlAllowedPrincipals,
      invokeMode: props.functionUrlInvokeMode,
    });
    this.functionUrl = url.url;
    this.functionUrlValue = url.value;
  }
}

/** An attribute of a resource that carries `count` only when it is conditional at plan time. */
function attr(resource: TerraformResource, name: string): string {
  return resource.count === undefined ? resource.getStringAttribute(name) : ref(resource, name);
}

function slug(routeKey: string): string {
  return (
    routeKey
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/-+$/, "") || "root"
  );
}
