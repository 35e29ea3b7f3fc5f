/**
 * The REST API's deployment and stage: JSON access logs in a log group of its own, throttling and
 * execution logging through method settings, optional X-Ray, and an optional WAF web ACL.
 *
 * Unlike an HTTP API's, a REST API stage logs to CloudWatch through the account's API Gateway
 * CloudWatch role (`aws_api_gateway_account`, one per account and region): the module does not
 * manage that account-wide setting, and its README says how to set it once.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
 */
import { Construct } from "constructs";
import { Fn, type ITerraformDependable } from "cdktf";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment/index.js";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings/index.js";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association/index.js";
import { isSet, when, type Cond, type OptString } from "./util.js";

/** Execution logging levels API Gateway accepts. */
export const REST_LOGGING_LEVELS = ["OFF", "ERROR", "INFO"] as const;

/** The access log line: one JSON object per request (REST API $context variables). */
export const REST_ACCESS_LOG_FORMAT: Record<string, string> = {
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integration.latency",
  integrationStatus: "$context.integration.status",
  integrationError: "$context.integration.error",
  authorizerError: "$context.authorizer.error",
  wafResponseCode: "$context.wafResponseCode",
};

export interface McpRestApiStageProps {
  readonly restApiId: string;
  readonly name: string;
  readonly stageName: string;
  /** Values whose change must redeploy the API (ids and settings of methods and integrations). */
  readonly redeployOn: unknown[];
  /** The methods and integrations a deployment snapshots: it must come after them. */
  readonly dependsOn: ITerraformDependable[];
  readonly throttlingBurstLimit?: number;
  readonly throttlingRateLimit?: number;
  /** "OFF" (default), "ERROR" or "INFO". Needs the account's CloudWatch role, like access logs. */
  readonly executionLoggingLevel?: string;
  readonly xrayTracingEnabled?: Cond;
  readonly accessLogRetentionDays?: number;
  readonly logKmsKeyArn?: string;
  /** ARN of a regional WAFv2 web ACL to associate with the stage; none when unset. */
  readonly wafWebAclArn?: OptString;
  readonly tags?: Record<string, string>;
}

export class McpRestApiStage extends Construct {
  readonly deployment: ApiGatewayDeployment;
  readonly stage: ApiGatewayStage;
  readonly methodSettings: ApiGatewayMethodSettings;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly wafAssociation?: Wafv2WebAclAssociation;

  constructor(scope: Construct, id: string, props: McpRestApiStageProps) {
    super(scope, id);
    const tags = props.tags;
    // A deployment is a snapshot: without a trigger, changed methods never reach the stage.
    // create_before_destroy keeps the stage pointing at a live deployment while it is replaced
    // (CKV_AWS_217).
    this.deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: props.restApiId,
      description: "Jupyter MCP server",
      triggers: { redeployment: Fn.sha1(Fn.jsonencode(props.redeployOn)) },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: props.dependsOn,
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${props.name}`,
      retentionInDays: props.accessLogRetentionDays ?? 30,
      kmsKeyId: props.logKmsKeyArn,
      tags,
    });

    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: props.restApiId,
      deploymentId: this.deployment.id,
      stageName: props.stageName,
      description: "Jupyter MCP server",
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
        format: JSON.stringify(REST_ACCESS_LOG_FORMAT),
      },
      xrayTracingEnabled: props.xrayTracingEnabled ?? false,
      // No cache cluster: a streamed response cannot be cached (response-transfer-mode.html).
      cacheClusterEnabled: false,
      tags,
    });

    this.methodSettings = new ApiGatewayMethodSettings(this, "settings", {
      restApiId: props.restApiId,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        throttlingBurstLimit: props.throttlingBurstLimit ?? 10,
        throttlingRateLimit: props.throttlingRateLimit ?? 5,
        loggingLevel: props.executionLoggingLevel ?? "OFF",
        // Full request and response bodies (code, outputs) would land in the execution logs.
        dataTraceEnabled: false,
        cachingEnabled: false,
        metricsEnabled: false,
      },
    });

    const waf = props.wafWebAclArn;
    this.wafAssociation = when(
      isSet(waf),
      (count) =>
        new Wafv2WebAclAssociation(this, "waf", {
          count,
          resourceArn: this.stage.arn,
          webAclArn: waf ?? "",
        }),
    );
  }
}
