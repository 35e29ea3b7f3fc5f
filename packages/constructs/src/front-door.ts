/**
 * The front door: an HTTP API in front of the function's `live` alias, with access logs, throttling
 * and one of three auth modes, plus an optional Lambda function URL for calls longer than the HTTP
 * API's 30 s integration limit (function-url.ts), and an optional custom domain and CORS
 * (front-door-domain.ts).
 *
 * Auth modes:
 * - "token": the function checks `Authorization: Bearer <token>` against the token it reads at init.
 *   The routes are `NONE` at the gateway (a deliberate difference from CKV_AWS_309, documented).
 * - "jwt": an HTTP API JWT authorizer (OIDC issuer + audience, e.g. Cognito) on every route.
 * - "iam": AWS_IAM (SigV4) on every route.
 * `GET /health` is always open: it tells nothing but "up", and load balancers and uptime checks use it.
 */
import { Construct } from "constructs";
import { Fn, Op, Token, type IResolvable } from "cdktf";
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
import {
  baseUrl,
  httpApiCors,
  httpApiDomain,
  type ApiDomain,
  type HttpApiCors,
  type HttpApiDomainOptions,
} from "./front-door-domain.js";
import { eq, NULL, pick, ref, when, type Cond } from "./util.js";

/** Routes sent to the function. GET/DELETE /mcp exist so the handler can answer 405 itself. */
export const MCP_ROUTES = ["POST /mcp", "GET /mcp", "DELETE /mcp", "POST /"] as const;
export const HEALTH_ROUTE = "GET /health";
export const AUTH_TYPES = ["token", "jwt", "iam"] as const;

export interface McpHttpApiProps {
  readonly name: string;
  readonly fn: McpFunction;
  /** "token" (default), "jwt" or "iam". */
  readonly authType?: string;
  /** JWT issuer URL (auth "jwt"), e.g. https://cognito-idp.REGION.amazonaws.com/POOL_ID. */
  readonly jwtIssuer?: string;
  /** JWT audiences (auth "jwt"), e.g. the Cognito app client id. */
  readonly jwtAudience?: string[];
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
  /** A custom domain for the API (see front-door-domain.ts). */
  readonly domain?: HttpApiDomainOptions;
  /** CORS: a literal object, or a plan-time object-or-null. */
  readonly cors?: HttpApiCors | IResolvable;
  readonly tags?: Record<string, string>;
}

export class McpHttpApi extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly routes: Apigatewayv2Route[] = [];
  readonly authorizer?: Apigatewayv2Authorizer;
  readonly functionUrl?: LambdaFunctionUrl;
  /** The API's URL: https://<domain> with a custom domain, else the `$default` stage's invoke URL. */
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

    this.api = new Apigatewayv2Api(this, "api", {
      name: props.name,
      description: "Jupyter MCP server",
      protocolType: "HTTP",
      tags,
    });
    httpApiCors(this.api, props.cors);

    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationUri: fn.alias.invokeArn,
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: 30000,
    });

    this.authorizer = when(
      isJwt,
      (count) =>
        new Apigatewayv2Authorizer(this, "jwt", {
          count,
          apiId: this.api.id,
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

    for (const routeKey of MCP_ROUTES) {
      this.routes.push(
        new Apigatewayv2Route(this, `route-${slug(routeKey)}`, {
          apiId: this.api.id,
          routeKey,
          target: `integrations/${integration.id}`,
          authorizationType,
          authorizerId,
        }),
      );
    }
    this.routes.push(
      new Apigatewayv2Route(this, "route-get-health", {
        apiId: this.api.id,
        routeKey: HEALTH_ROUTE,
        target: `integrations/${integration.id}`,
        authorizationType: "NONE",
      }),
    );

    this.accessLogGroup = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${props.name}`,
      retentionInDays: props.accessLogRetentionDays ?? 30,
      kmsKeyId: props.logKmsKeyArn,
      tags,
    });

    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
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
    });
    this.domain = httpApiDomain(this, this.api, this.stage, props.domain ?? {}, tags);
    this.url = baseUrl(this.domain, this.stage.invokeUrl);

    new LambdaPermission(this, "invoke-from-api", {
      statementId: "AllowHttpApiInvoke",
      action: "lambda:InvokeFunction",
      functionName: fn.function.functionName,
      qualifier: fn.alias.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/*/*`,
    });

    const url = functionUrl(this, {
      fn,
      authType,
      create: props.createFunctionUrl ?? false,
      authorizationType: props.functionUrlAuthType,
      allowedPrincipals: props.functionUrlAllowedPrincipals,
    });
    this.functionUrl = url.url;
    this.functionUrlValue = url.value;
  }
}

function slug(routeKey: string): string {
  return (
    routeKey
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/-+$/, "") || "root"
  );
}
