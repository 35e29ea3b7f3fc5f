import { TerraformOutput, TerraformVariable, type TerraformStack } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api/index.js";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping/index.js";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { DOMAIN_NEEDS_CERTIFICATE } from "../src/front-door-domain.js";
import { McpHttpApi, type McpHttpApiProps } from "../src/front-door.js";
import { McpFunction } from "../src/function.js";
import { checkPolicies } from "../src/policy.js";
import { IMAGE, parse, resourcesOf, stringVar, synth, type Json } from "./helpers.js";

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/c";

function api(props: Partial<McpHttpApiProps> | ((s: TerraformStack) => Partial<McpHttpApiProps>) = {}): {
  out: string;
  url: string;
} {
  const out = synth((s) => {
    const fn = new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE });
    const extra = typeof props === "function" ? props(s) : props;
    new TerraformOutput(s, "api_url", { value: new McpHttpApi(s, "api", { name: "mcp", fn, ...extra }).url });
  });
  return { out, url: parse(out).output.api_url.value as string };
}

const permissions = (out: string): Json[] => resourcesOf(out, "aws_lambda_permission");

describe("McpHttpApi: function URL principals, custom domain, CORS", () => {
  it("AWS_IAM function URL with allowed principals: both statements per principal, through the URL only", () => {
    const principals = ["210987654321", "arn:aws:iam::210987654321:role/agent"];
    const { out } = api({ createFunctionUrl: true, functionUrlAllowedPrincipals: principals });
    const [url, invoke] = ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"].map((action) =>
      permissions(out).find((p) => p.action === action && p.count !== undefined)!,
    );
    expect(url).toMatchObject({
      count: 2,
      function_url_auth_type: "AWS_IAM",
      principal: `\${element(${JSON.stringify(principals).replace(/,/g, ", ")}, count.index)}`,
      qualifier: "${aws_lambda_alias.fn_live.name}",
      statement_id: "AllowFunctionUrl${count.index}",
    });
    expect(invoke).toMatchObject({ count: 2, invoked_via_function_url: true, principal: url!.principal });
    expect(invoke).not.toHaveProperty("source_arn");
    // Named principals are the scope: no CKV_AWS_364 finding, and never "*".
    expect(checkPolicies(parse(out), { tokenAuthRoutes: true })).toEqual([]);
    expect(permissions(out).filter((p) => p.principal === "*")).toEqual([]);
  });

  it("no allowed principals, or no AWS_IAM URL: no cross-account statement", () => {
    for (const props of [
      { createFunctionUrl: true },
      { createFunctionUrl: false, functionUrlAllowedPrincipals: ["210987654321"] },
      {
        createFunctionUrl: true,
        functionUrlAuthType: "NONE",
        functionUrlAllowedPrincipals: ["210987654321"],
      },
    ]) {
      const { out } = api(props);
      const named = permissions(out).filter((p) => p.function_url_auth_type === "AWS_IAM" || p.count === 1);
      expect({ props, named: named.filter((p) => Number(p.count) > 0) }).toEqual({ props, named: [] });
    }
  });

  it("allowed principals at plan time: counted on the URL being AWS_IAM", () => {
    const { out } = api((s) => ({
      createFunctionUrl: new TerraformVariable(s, "url", { type: "bool", default: false }).booleanValue,
      functionUrlAuthType: stringVar(s, "url_auth", "AWS_IAM"),
      functionUrlAllowedPrincipals: new TerraformVariable(s, "principals", {
        type: "list(string)",
        default: [],
      }).listValue,
    }));
    const iam = permissions(out).filter((p) => String(p.statement_id).startsWith("AllowFunctionUrl"));
    expect(iam.map((p) => p.count)).toEqual([
      '${(var.url && (var.url_auth == "AWS_IAM")) ? length(var.principals) : 0}',
      '${(var.url && (var.url_auth == "AWS_IAM")) ? length(var.principals) : 0}',
    ]);
  });

  it("custom domain: REGIONAL TLS 1.2 domain, the API mapped at its root, a Route 53 alias, https://<domain>", () => {
    const { out, url } = api({
      domain: { domainName: "mcp.example.com", certificateArn: CERT, route53ZoneId: "Z123" },
    });
    expect(out).toHaveResourceWithProperties(Apigatewayv2DomainName, {
      domain_name: "mcp.example.com",
      domain_name_configuration: {
        certificate_arn: CERT,
        endpoint_type: "REGIONAL",
        security_policy: "TLS_1_2",
      },
    });
    expect(out).toHaveResourceWithProperties(Apigatewayv2ApiMapping, {
      api_id: "${aws_apigatewayv2_api.api_api.id}",
      stage: "${aws_apigatewayv2_stage.api_stage.id}",
    });
    expect(out).toHaveResourceWithProperties(Route53Record, {
      zone_id: "Z123",
      name: "mcp.example.com",
      type: "A",
      alias: {
        name: "${one(aws_apigatewayv2_domain_name.api_domain[*].domain_name_configuration[0].target_domain_name)}",
        zone_id:
          "${one(aws_apigatewayv2_domain_name.api_domain[*].domain_name_configuration[0].hosted_zone_id)}",
        evaluate_target_health: false,
      },
    });
    expect(url).toContain('format("https://%s", "mcp.example.com")');
    expect(() => api({ domain: { domainName: "mcp.example.com" } })).toThrow(DOMAIN_NEEDS_CERTIFICATE);
  });

  it("no domain by default; at plan time the domain is counted and needs its certificate (precondition)", () => {
    const plain = api();
    expect(plain.out).not.toHaveResource(Apigatewayv2DomainName);
    expect(plain.url).toBe("${aws_apigatewayv2_stage.api_stage.invoke_url}");
    const { out } = api((s) => ({
      domain: {
        domainName: stringVar(s, "domain"),
        certificateArn: stringVar(s, "cert"),
        route53ZoneId: stringVar(s, "zone"),
      },
    }));
    const domain = resourcesOf(out, "aws_apigatewayv2_domain_name")[0]!;
    expect(domain.count).toBe("${local.api_has_domain ? 1 : 0}");
    expect(domain.lifecycle.precondition).toEqual([
      { condition: "${(length(compact([var.cert])) >= 1)}", error_message: DOMAIN_NEEDS_CERTIFICATE },
    ]);
    expect(resourcesOf(out, "aws_route53_record")[0]!.count).toBe(
      "${(local.api_has_domain && (length(compact([var.zone])) >= 1)) ? 1 : 0}",
    );
  });

  it("CORS: a literal configuration is the block; a plan-time one a dynamic block present unless null", () => {
    const cors = {
      allowOrigins: ["https://app.example.com"],
      allowHeaders: ["authorization", "mcp-session-id"],
    };
    expect(api({ cors }).out).toHaveResourceWithProperties(Apigatewayv2Api, {
      cors_configuration: {
        allow_origins: ["https://app.example.com"],
        allow_headers: ["authorization", "mcp-session-id"],
      },
    });
    const { out } = api((s) => ({
      cors: new TerraformVariable(s, "cors", { type: "any", nullable: true }).value,
    }));
    const block = resourcesOf(out, "aws_apigatewayv2_api")[0]!.dynamic.cors_configuration;
    expect(block.for_each).toBe("${(var.cors == null) ? [] : [var.cors]}");
    expect(block.content.allow_origins).toBe("${cors_configuration.value.allow_origins}");
    expect(Object.keys(block.content).sort()).toEqual([
      "allow_credentials",
      "allow_headers",
      "allow_methods",
      "allow_origins",
      "expose_headers",
      "max_age",
    ]);
    expect(resourcesOf(api().out, "aws_apigatewayv2_api")[0]).not.toHaveProperty("cors_configuration");
  });
});
