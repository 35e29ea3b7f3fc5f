import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment/index.js";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings/index.js";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association/index.js";
import { REST_ACCESS_LOG_FORMAT } from "../src/rest-api-stage.js";
import { boolVar, resourcesOf, stringVar } from "./helpers.js";
import { restApi } from "./rest-api-helpers.js";

const WAF = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/mcp/0000-1111";

describe("McpRestApi: stage", () => {
  it("access logs: JSON, to a log group of its own with retention and optional KMS", () => {
    const out = restApi({
      accessLogRetentionDays: 90,
      logKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
    });
    expect(out).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/apigateway/mcp",
      retention_in_days: 90,
      kms_key_id: "arn:aws:kms:eu-west-1:123456789012:key/k",
    });
    const stage = resourcesOf(out, "aws_api_gateway_stage")[0]!;
    expect(stage.access_log_settings.destination_arn).toBe(
      "${aws_cloudwatch_log_group.api_stage_access_logs.arn}",
    );
    const format = JSON.parse(stage.access_log_settings.format as string) as Record<string, string>;
    expect(format).toEqual(REST_ACCESS_LOG_FORMAT);
    // API Gateway requires one of the two request ids in the format.
    expect(format).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
  });

  it("stage: named, no cache (streaming cannot be cached), X-Ray off unless asked", () => {
    const out = restApi({ stageName: "prod" });
    expect(out).toHaveResourceWithProperties(ApiGatewayStage, {
      stage_name: "prod",
      deployment_id: "${aws_api_gateway_deployment.api_stage_deployment.id}",
      cache_cluster_enabled: false,
      xray_tracing_enabled: false,
    });
    expect(restApi({ xrayTracingEnabled: true })).toHaveResourceWithProperties(ApiGatewayStage, {
      xray_tracing_enabled: true,
    });
    const planned = restApi({}, (s) => ({ xrayTracingEnabled: boolVar(s, "xray") }));
    expect(resourcesOf(planned, "aws_api_gateway_stage")[0]!.xray_tracing_enabled).toBe("${var.xray}");
  });

  it("throttling and execution logging through method settings on every method; no data trace", () => {
    const out = restApi({ throttlingBurstLimit: 20, throttlingRateLimit: 7, executionLoggingLevel: "ERROR" });
    expect(out).toHaveResourceWithProperties(ApiGatewayMethodSettings, {
      method_path: "*/*",
      stage_name: "${aws_api_gateway_stage.api_stage_stage.stage_name}",
      settings: {
        throttling_burst_limit: 20,
        throttling_rate_limit: 7,
        logging_level: "ERROR",
        data_trace_enabled: false,
        caching_enabled: false,
        metrics_enabled: false,
      },
    });
    expect(resourcesOf(restApi(), "aws_api_gateway_method_settings")[0]!.settings).toMatchObject({
      throttling_burst_limit: 10,
      throttling_rate_limit: 5,
      logging_level: "OFF",
    });
  });

  it("deployment: after every method and integration, redeployed when they change, create before destroy", () => {
    const out = restApi();
    expect(out).toHaveResourceWithProperties(ApiGatewayDeployment, {
      lifecycle: { create_before_destroy: true },
    });
    const d = resourcesOf(out, "aws_api_gateway_deployment")[0]!;
    expect(d.depends_on).toHaveLength(14);
    const trigger = d.triggers.redeployment as string;
    expect(trigger).toMatch(/^\$\{sha1\(jsonencode\(\[/);
    for (const attr of ["uri", "timeout_milliseconds", "response_transfer_mode", "authorization"]) {
      expect(trigger).toContain(`.${attr}`);
    }
    expect(trigger).toContain(
      "jsonencode(aws_api_gateway_integration.api_integration_post_mcp.request_parameters)",
    );
  });

  it("WAF: no association by default; associated with the stage when an ACL is given", () => {
    expect(restApi()).not.toHaveResource(Wafv2WebAclAssociation);
    expect(restApi({ wafWebAclArn: WAF })).toHaveResourceWithProperties(Wafv2WebAclAssociation, {
      resource_arn: "${aws_api_gateway_stage.api_stage_stage.arn}",
      web_acl_arn: WAF,
    });
    const planned = restApi({}, (s) => ({ wafWebAclArn: stringVar(s, "waf") }));
    expect(resourcesOf(planned, "aws_wafv2_web_acl_association")[0]!.count).toBe(
      "${(length(compact([var.waf])) >= 1) ? 1 : 0}",
    );
  });
});
