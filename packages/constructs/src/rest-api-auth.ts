/**
 * Authorization of the REST API's MCP methods, one of three modes as in the HTTP API:
 * - "token": the function checks `Authorization: Bearer <token>` itself, so the methods are NONE
 *   at the gateway (the documented difference from CKV_AWS_59) and no authorizer exists.
 * - "jwt": a Cognito user pool authorizer (COGNITO_USER_POOLS) when user pool ARNs are given,
 *   else a Lambda TOKEN authorizer the user supplies (CUSTOM). REST APIs have no OIDC JWT
 *   authorizer like the HTTP API's, so these are the two ways to check a JWT at the gateway.
 * - "iam": AWS_IAM (SigV4).
 * It also says where the Lambda tenant id comes from in each mode (TENANT_SOURCES).
 */
import { Construct } from "constructs";
import { Fn, Op, Token, type Precondition } from "cdktf";
import { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer/index.js";
import { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { AwsContext } from "./aws-context.js";
import { AUTH_TYPES } from "./front-door.js";
import { TENANT_SOURCES } from "./rest-api-routes.js";
import {
  and,
  eq,
  isLiteral,
  isSet,
  named,
  not,
  NULL,
  or,
  pick,
  ref,
  when,
  type Cond,
  type OptString,
} from "./util.js";

export interface McpRestApiAuthProps {
  readonly restApiId: string;
  readonly executionArn: string;
  /** "token" (default), "jwt" or "iam". */
  readonly authType?: string;
  /** auth "jwt" with Cognito: the user pools whose tokens are accepted. */
  readonly cognitoUserPoolArns?: string[];
  /** With Cognito: OAuth scopes the access token must carry; empty: ID tokens (or any access token). */
  readonly cognitoAuthorizationScopes?: string[];
  /** auth "jwt" without Cognito: ARN of a Lambda TOKEN authorizer function (unqualified). */
  readonly lambdaAuthorizerFunctionArn?: OptString;
  /** How long the gateway caches an authorizer's answer per token (0-3600 s; default 300). */
  readonly authorizerResultTtlSeconds?: number;
  /** RFC 9728 metadata URL for the WWW-Authenticate header of the gateway's 401s. */
  readonly resourceMetadataUrl: string;
  readonly context: AwsContext;
}

export class McpRestApiAuth extends Construct {
  readonly isToken: Cond;
  readonly isIam: Cond;
  readonly usesCognito: Cond;
  readonly usesLambda: Cond;
  /** `authorization` of the MCP methods. */
  readonly authorization: string;
  /** `authorizer_id` of the MCP methods; undefined when no authorizer can exist. */
  readonly authorizerId?: string;
  readonly authorizationScopes?: string[];
  /** The mapping source of the tenant id for the MCP methods (meaningless with "token"). */
  readonly tenantSource: string;
  readonly cognito?: ApiGatewayAuthorizer;
  readonly lambda?: ApiGatewayAuthorizer;
  readonly unauthorizedResponse?: ApiGatewayGatewayResponse;
  readonly preconditions: Precondition[] = [];

  constructor(scope: Construct, id: string, props: McpRestApiAuthProps) {
    super(scope, id);
    const authType = props.authType ?? "token";
    if (!Token.isUnresolved(authType) && !(AUTH_TYPES as readonly string[]).includes(authType)) {
      throw new Error(`authType must be one of ${AUTH_TYPES.join(", ")}; got ${authType}`);
    }
    const isJwt = eq(authType, "jwt");
    this.isToken = eq(authType, "token");
    this.isIam = eq(authType, "iam");
    const pools = props.cognitoUserPoolArns ?? [];
    const hasPools: Cond = Token.isUnresolved(pools) ? Op.gte(Fn.lengthOf(pools), 1) : pools.length > 0;
    const hasLambda = isSet(props.lambdaAuthorizerFunctionArn);
    this.usesCognito = named(this, "uses_cognito", and(isJwt, hasPools));
    this.usesLambda = named(this, "uses_lambda_authorizer", and(isJwt, and(not(hasPools), hasLambda)));

    // Exactly one JWT checker: both given would leave one silently unused.
    const xor = or(and(hasPools, not(hasLambda)), and(not(hasPools), hasLambda));
    const oneChecker = or(not(isJwt), xor);
    const oneCheckerMessage =
      'auth_type "jwt" needs either cognito_user_pool_arns or lambda_authorizer_function_arn (not both).';
    if (oneChecker === false) throw new Error(oneCheckerMessage);
    if (oneChecker !== true)
      this.preconditions.push({ condition: oneChecker, errorMessage: oneCheckerMessage });

    const ttl = props.authorizerResultTtlSeconds ?? 300;
    this.cognito = when(
      this.usesCognito,
      (count) =>
        new ApiGatewayAuthorizer(this, "cognito", {
          count,
          restApiId: props.restApiId,
          name: "cognito",
          type: "COGNITO_USER_POOLS",
          providerArns: pools,
          identitySource: "method.request.header.Authorization",
          authorizerResultTtlInSeconds: ttl,
        }),
    );
    const ctx = props.context;
    const fnArn = props.lambdaAuthorizerFunctionArn ?? "";
    this.lambda = when(this.usesLambda, (count) => {
      const authorizer = new ApiGatewayAuthorizer(this, "lambda", {
        count,
        restApiId: props.restApiId,
        name: "lambda",
        // TOKEN: the function gets the Authorization header and returns a policy and principalId.
        type: "TOKEN",
        authorizerUri: `arn:${ctx.partition}:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
        identitySource: "method.request.header.Authorization",
        authorizerResultTtlInSeconds: ttl,
      });
      // API Gateway may invoke the user's authorizer, for this API's authorizer only (CKV_AWS_364).
      // A prefix, not a fixed id: one authorizer may serve several deployments of this module.
      new LambdaPermission(this, "lambda-invoke", {
        count,
        statementIdPrefix: "AllowJupyterMcpRestApiAuthorizer-",
        action: "lambda:InvokeFunction",
        functionName: fnArn,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${props.executionArn}/authorizers/${ref(authorizer, "id")}`,
      });
      return authorizer;
    });

    this.authorization = pick(
      this.isIam,
      "AWS_IAM",
      pick(this.usesCognito, "COGNITO_USER_POOLS", pick(this.usesLambda, "CUSTOM", "NONE")),
    );
    if (this.cognito || this.lambda) {
      this.authorizerId = pick(
        this.usesCognito,
        this.cognito ? ref(this.cognito, "id") : NULL,
        pick(this.usesLambda, this.lambda ? ref(this.lambda, "id") : NULL, NULL),
      );
    }
    const scopes = props.cognitoAuthorizationScopes ?? [];
    if (this.cognito && (Token.isUnresolved(scopes) || scopes.length > 0)) {
      this.authorizationScopes = isLiteral(this.usesCognito)
        ? scopes
        : Token.asList(Fn.conditional(this.usesCognito, scopes, []));
    }
    this.tenantSource = pick(
      this.isIam,
      TENANT_SOURCES.iam,
      pick(this.usesCognito, TENANT_SOURCES.cognito, TENANT_SOURCES.lambda),
    );

    // The gateway, not the function, answers unauthenticated calls in "jwt" mode: its 401 must
    // point MCP clients at the RFC 9728 metadata (section 5.1), as the function does in "token" mode.
    this.unauthorizedResponse = when(
      or(this.usesCognito, this.usesLambda),
      (count) =>
        new ApiGatewayGatewayResponse(this, "unauthorized", {
          count,
          restApiId: props.restApiId,
          responseType: "UNAUTHORIZED",
          statusCode: "401",
          responseParameters: {
            "gatewayresponse.header.WWW-Authenticate": `'Bearer resource_metadata="${props.resourceMetadataUrl}"'`,
          },
        }),
    );
  }
}
