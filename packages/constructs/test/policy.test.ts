import { AuthToken } from "../src/auth-token.js";
import { McpFargate } from "../src/fargate.js";
import { McpHttpApi } from "../src/front-door.js";
import { McpFunction } from "../src/function.js";
import { McpImage } from "../src/image.js";
import { McpKeepWarm } from "../src/keep-warm.js";
import { McpWorkspace } from "../src/workspace.js";
import { checkInterface, checkPolicies, DOCUMENTED_SKIPS, undocumentedSkips } from "../src/policy.js";
import { boolVar, FARGATE_BASICS, IMAGE, parse, stringVar, synth, type Json } from "./helpers.js";

function everything(cert: string | undefined, authType: string, url: boolean): Json {
  return parse(
    synth((s, context) => {
      const image = new McpImage(s, "img", { repositoryName: "mcp", context });
      const authToken = new AuthToken(s, "tok", { name: "mcp", context });
      const workspace = new McpWorkspace(s, "ws", { name: "mcp", create: true, context });
      const fn = new McpFunction(s, "fn", {
        functionName: "mcp",
        imageUri: IMAGE,
        authToken,
        provisionedConcurrency: 1,
        workspace,
      });
      new McpHttpApi(s, "api", {
        name: "mcp",
        fn,
        authType,
        jwtIssuer: "https://issuer.example",
        jwtAudience: ["a"],
        createFunctionUrl: url,
        functionUrlAuthType: authType === "token" ? "NONE" : "AWS_IAM",
      });
      new McpKeepWarm(s, "kw", {
        name: "mcp",
        functionArn: fn.function.arn,
        aliasArn: fn.alias.arn,
        context,
      });
      new McpFargate(s, "svc", {
        name: "mcp",
        imageUri: IMAGE,
        ecrRepositoryArn: image.repository.arn,
        vpcId: "vpc-1",
        subnetIds: ["subnet-a"],
        albSubnetIds: ["subnet-b", "subnet-c"],
        certificateArn: cert,
        domainName: cert ? "mcp.example.com" : undefined,
        authToken,
        workspace,
        context,
      });
    }),
  );
}

describe("policy checks (Checkov-aligned) on the constructs", () => {
  it.each([
    ["token + public function URL, HTTP only", undefined, "token", true],
    ["jwt + IAM function URL, HTTPS", "arn:aws:acm:eu-west-1:123456789012:certificate/c", "jwt", true],
    ["iam, no function URL, HTTPS", "arn:aws:acm:eu-west-1:123456789012:certificate/c", "iam", false],
  ])("%s: no findings", (_label, cert, auth, url) => {
    const json = everything(cert as string | undefined, auth as string, url as boolean);
    expect(checkPolicies(json, { tokenAuthRoutes: auth === "token" })).toEqual([]);
  });

  it("every new option on (VPC, X-Ray, KMS, URL principals, domain, CORS, async config, Fargate domain): no findings", () => {
    const json = parse(
      synth((s, context) => {
        const authToken = new AuthToken(s, "tok", { name: "mcp", context });
        const workspace = new McpWorkspace(s, "ws", {
          name: "mcp",
          create: true,
          bucketPrefix: "mcp-ws-",
          context,
        });
        const fn = new McpFunction(s, "fn", {
          functionName: "mcp",
          imageUri: IMAGE,
          authToken,
          workspace,
          context,
          vpc: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-1"] },
          tracingMode: "Active",
          kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/env",
          rolePermissionsBoundary: "arn:aws:iam::123456789012:policy/boundary",
          logging: { applicationLogLevel: "DEBUG" },
        });
        new McpHttpApi(s, "api", {
          name: "mcp",
          fn,
          authType: "iam",
          createFunctionUrl: true,
          functionUrlAllowedPrincipals: ["210987654321"],
          domain: {
            domainName: "mcp.example.com",
            certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/c",
            route53ZoneId: "Z1",
          },
          cors: { allowOrigins: ["https://app.example.com"] },
        });
        new McpKeepWarm(s, "kw", {
          name: "mcp",
          functionArn: fn.function.arn,
          aliasArn: fn.alias.arn,
          context,
        });
        new McpFargate(s, "svc", {
          ...FARGATE_BASICS,
          certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/c",
          domainName: "mcp.example.com",
          route53ZoneId: "Z1",
          authToken,
          workspace,
          context,
        });
      }),
    );
    expect(Object.keys(json.resource)).toEqual(
      expect.arrayContaining([
        "aws_lambda_function_event_invoke_config",
        "aws_apigatewayv2_domain_name",
        "aws_route53_record",
        "aws_lambda_permission",
      ]),
    );
    expect(checkPolicies(json)).toEqual([]);
  });

  it("plan-time options: no findings either", () => {
    const json = parse(
      synth((s, context) => {
        const authToken = new AuthToken(s, "tok", {
          name: "mcp",
          secretArn: stringVar(s, "secret"),
          context,
        });
        const fn = new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, authToken });
        new McpHttpApi(s, "api", {
          name: "mcp",
          fn,
          authType: stringVar(s, "auth", "token"),
          createFunctionUrl: boolVar(s, "url"),
          functionUrlAuthType: stringVar(s, "url_auth", "AWS_IAM"),
        });
        new McpFargate(s, "svc", {
          ...FARGATE_BASICS,
          certificateArn: stringVar(s, "cert"),
          domainName: stringVar(s, "domain"),
          albIngressCidrBlocks: ["10.0.0.0/8"],
          authToken,
          context,
        });
      }),
    );
    expect(checkPolicies(json)).toEqual([]);
  });
});

describe("policy checks catch what they are for", () => {
  const checks = (json: Json) => checkPolicies(json).map((f) => f.check);
  const doc = (statement: Json) => ({ data: { aws_iam_policy_document: { d: { statement: [statement] } } } });

  it("token-mode routes are accepted only when asked", () => {
    const r = {
      resource: { aws_apigatewayv2_route: { a: { route_key: "POST /mcp", authorization_type: "NONE" } } },
    };
    expect(checks(r)).toEqual(["CKV_AWS_309"]);
    expect(checkPolicies(r, { tokenAuthRoutes: true })).toEqual([]);
  });

  it("wildcard actions and resources (CKV_AWS_63/355)", () => {
    expect(checks(doc({ actions: ["s3:*"], resources: ["arn:aws:s3:::b"] }))).toContain("CKV_AWS_63");
    expect(checks(doc({ actions: ["s3:GetObject"], resources: ["*"] }))).toContain("CKV_AWS_355");
    expect(checks(doc({ actions: ["ecr:GetAuthorizationToken"], resources: ["*"] }))).toEqual([]);
    expect(checks({ resource: { aws_iam_role_policy: { p: { policy: '{"Action":"*"}' } } } })).toContain(
      "CKV_AWS_63",
    );
  });

  it("log retention (CKV_AWS_66); reserved concurrency (CKV_AWS_115) is a documented skip, enforceable", () => {
    expect(checks({ resource: { aws_cloudwatch_log_group: { l: { name: "x" } } } })).toEqual(["CKV_AWS_66"]);
    const fn = { resource: { aws_lambda_function: { f: { function_name: "x" } } } };
    expect(checks(fn)).toEqual([]);
    expect(DOCUMENTED_SKIPS.map((s) => s.check)).toEqual([
      "CKV_AWS_115",
      "CKV_AWS_338",
      "CKV_AWS_149",
      "CKV_AWS_301",
      "CKV_AWS_378",
      "CKV2_AWS_28",
      "CKV_AWS_297",
    ]);
    const enforced = (json: Json) => checkPolicies(json, { enforce: ["CKV_AWS_115"] }).map((f) => f.check);
    expect(enforced(fn)).toEqual(["CKV_AWS_115"]);
    expect(
      enforced({ resource: { aws_lambda_function: { f: { reserved_concurrent_executions: null } } } }),
    ).toEqual(["CKV_AWS_115"]);
    expect(
      enforced({ resource: { aws_lambda_function: { f: { reserved_concurrent_executions: 5 } } } }),
    ).toEqual([]);
  });

  it("a documented skip must be explained in a row of the module README's table", () => {
    const json = { resource: { aws_lambda_function: { f: {} } } };
    const row = "| CKV_AWS_115 (reserved concurrency) | Accounts with a quota of 10 cannot reserve any. |";
    expect(undocumentedSkips(json, `# M\n\n| Check | Why |\n| --- | --- |\n${row}\n`)).toEqual([]);
    // A mention in prose, or a row without a reason, is not an explanation.
    for (const readme of ["Checkov: reserved concurrency (CKV_AWS_115).", "| CKV_AWS_115 |  |"]) {
      expect(undocumentedSkips(json, readme).map((f) => f.check)).toEqual(["CKV_AWS_115"]);
    }
    // Modules without a Lambda function need not mention it.
    expect(undocumentedSkips({ resource: { aws_ecr_repository: { r: {} } } }, "")).toEqual([]);
  });

  it("DynamoDB point-in-time recovery (CKV_AWS_28) and KMS encryption (CKV_AWS_119)", () => {
    expect(checks({ resource: { aws_dynamodb_table: { t: { name: "x" } } } })).toEqual([
      "CKV_AWS_28",
      "CKV_AWS_119",
    ]);
    const off = { point_in_time_recovery: { enabled: false }, server_side_encryption: { enabled: false } };
    expect(checks({ resource: { aws_dynamodb_table: { t: off } } })).toEqual(["CKV_AWS_28", "CKV_AWS_119"]);
    const on = { point_in_time_recovery: [{ enabled: true }], server_side_encryption: [{ enabled: true }] };
    expect(checks({ resource: { aws_dynamodb_table: { t: on } } })).toEqual([]);
  });

  it("permission without source ARN (CKV_AWS_364), except the public function URL", () => {
    expect(
      checks({ resource: { aws_lambda_permission: { p: { principal: "apigateway.amazonaws.com" } } } }),
    ).toEqual(["CKV_AWS_364"]);
    const url = { action: "lambda:InvokeFunctionUrl", principal: "*", function_url_auth_type: "NONE" };
    expect(checks({ resource: { aws_lambda_permission: { p: url } } })).toEqual([]);
    const via = { action: "lambda:InvokeFunction", principal: "*", invoked_via_function_url: true };
    expect(checks({ resource: { aws_lambda_permission: { p: via } } })).toEqual([]);
    expect(
      checks({ resource: { aws_lambda_permission: { p: { ...via, invoked_via_function_url: false } } } }),
    ).toEqual(["CKV_AWS_364", "CKV_AWS_364"]);
    // An AWS_IAM function URL's statements for named principals: the principal is the scope.
    const iamUrl = {
      action: "lambda:InvokeFunctionUrl",
      principal: "210987654321",
      function_url_auth_type: "AWS_IAM",
    };
    expect(checks({ resource: { aws_lambda_permission: { p: iamUrl } } })).toEqual([]);
    expect(checks({ resource: { aws_lambda_permission: { p: { ...iamUrl, principal: "*" } } } })).toEqual([
      "CKV_AWS_364",
      "CKV_AWS_364",
    ]);
  });

  it('"*" only for actions without resource-level permissions: ECR login, the VPC Describe calls, X-Ray writes', () => {
    for (const a of ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTraceSegments"]) {
      expect(checks(doc({ actions: [a], resources: ["*"] }))).toEqual([]);
    }
    expect(checks(doc({ actions: ["ec2:CreateNetworkInterface"], resources: ["*"] }))).toEqual([
      "CKV_AWS_355",
    ]);
  });

  it("the Checkov rules the READMEs explain are skipped, and each is enforceable", () => {
    const cases: [string, Json, Json][] = [
      [
        "CKV_AWS_338",
        { aws_cloudwatch_log_group: { l: { retention_in_days: 30 } } },
        { retention_in_days: 365 },
      ],
      [
        "CKV_AWS_149",
        { aws_secretsmanager_secret: { s: {} } },
        { kms_key_id: "arn:aws:kms:eu-west-1:1:key/k" },
      ],
      [
        "CKV_AWS_301",
        {
          aws_lambda_permission: {
            p: { principal: "*", function_url_auth_type: "NONE", action: "lambda:InvokeFunctionUrl" },
          },
        },
        { principal: "123456789012" },
      ],
      ["CKV_AWS_378", { aws_lb_target_group: { t: { protocol: "HTTP" } } }, { protocol: "HTTPS" }],
      ["CKV2_AWS_28", { aws_lb: { a: { drop_invalid_header_fields: true } } }, { internal: true }],
      [
        "CKV_AWS_297",
        { aws_scheduler_schedule: { s: {} } },
        { kms_key_arn: "arn:aws:kms:eu-west-1:1:key/k" },
      ],
    ];
    for (const [check, resource, fix] of cases) {
      const json = { resource };
      expect({ check, found: checks(json) }).toEqual({ check, found: [] });
      const enforced = checkPolicies(json, { enforce: [check] }).map((f) => f.check);
      expect({ check, enforced }).toEqual({ check, enforced: [check] });
      const [type, byName] = Object.entries(resource)[0]!;
      const fixed = { resource: { [type]: { x: { ...Object.values(byName as Json)[0], ...fix } } } };
      expect({ check, fixed: checkPolicies(fixed, { enforce: [check] }).map((f) => f.check) }).toEqual({
        check,
        fixed: [],
      });
      // A module whose resources pass the rule need not explain it.
      expect(undocumentedSkips(fixed, "").map((f) => f.check)).not.toContain(check);
      expect(undocumentedSkips(json, "").map((f) => f.check)).toContain(check);
    }
  });

  it("stage access logs (CKV_AWS_76), route authorization (CKV_AWS_309) with /health open", () => {
    expect(checks({ resource: { aws_apigatewayv2_stage: { s: { name: "$default" } } } })).toEqual([
      "CKV_AWS_76",
    ]);
    const routes = {
      a: { route_key: "POST /mcp", authorization_type: "NONE" },
      b: { route_key: "GET /health", authorization_type: "NONE" },
      c: { route_key: "GET /mcp", authorization_type: "JWT" },
    };
    expect(checkPolicies({ resource: { aws_apigatewayv2_route: routes } }).map((f) => f.address)).toEqual([
      "aws_apigatewayv2_route.a",
    ]);
  });

  it("ECR immutable tags and scan on push (CKV_AWS_51/163)", () => {
    const repo = { image_tag_mutability: "MUTABLE", image_scanning_configuration: { scan_on_push: false } };
    expect(checks({ resource: { aws_ecr_repository: { r: repo } } })).toEqual(["CKV_AWS_51", "CKV_AWS_163"]);
  });

  it("ECS roles (CKV_AWS_249), read-only root (CKV_AWS_336), public IP (CKV_AWS_333)", () => {
    const td = { execution_role_arn: "r", task_role_arn: "r", container_definitions: "[]" };
    expect(checks({ resource: { aws_ecs_task_definition: { t: td } } })).toEqual([
      "CKV_AWS_249",
      "CKV_AWS_336",
    ]);
    const svc = { network_configuration: { assign_public_ip: true } };
    expect(checks({ resource: { aws_ecs_service: { s: svc } } })).toEqual(["CKV_AWS_333"]);
  });

  it("ALB headers (CKV_AWS_131), HTTP forward while HTTPS is possible (CKV_AWS_2), open security groups", () => {
    expect(checks({ resource: { aws_lb: { a: { drop_invalid_header_fields: false } } } })).toEqual([
      "CKV_AWS_131",
    ]);
    const forward = { protocol: "HTTP", port: 80, default_action: [{ type: "forward" }] };
    const https = { protocol: "HTTPS", port: 443, count: "${local.c ? 1 : 0}" };
    expect(checks({ resource: { aws_lb_listener: { l: forward, s: https } } })).toEqual(["CKV_AWS_2"]);
    const paired = { ...forward, count: "${!local.c ? 1 : 0}" };
    expect(checks({ resource: { aws_lb_listener: { l: paired, s: https } } })).toEqual([]);
    expect(checks({ resource: { aws_lb_listener: { l: forward } } })).toEqual([]);
    const open = {
      cidr_ipv4: "0.0.0.0/0",
      from_port: 22,
      to_port: 22,
      security_group_id: "${aws_security_group.x.id}",
    };
    expect(checks({ resource: { aws_vpc_security_group_ingress_rule: { i: open } } })).toEqual([
      "SG_OPEN_WORLD",
    ]);
  });

  it("interface: every variable typed and described, every output described", () => {
    const json = {
      variable: { Bad: {}, ok: { type: "string", description: "d" } },
      output: { o: { value: 1 } },
    };
    expect(checkInterface(json).map((f) => f.check)).toEqual([
      "VAR_DESCRIPTION",
      "VAR_TYPE",
      "VAR_NAME",
      "OUT_DESCRIPTION",
    ]);
  });
});

describe("bucket checks", () => {
  it("a bare bucket lacks every companion", () => {
    const checks = checkPolicies({ resource: { aws_s3_bucket: { b: { bucket_prefix: "x" } } } }).map(
      (f) => f.check,
    );
    expect(checks).toEqual(["CKV_AWS_53", "CKV_AWS_145", "CKV_AWS_21", "CKV2_AWS_61", "S3_TLS_ONLY"]);
  });
});
