import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster/index.js";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service/index.js";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { TerraformOutput } from "cdktf";
import { AuthToken, NO_TOKEN_SOURCE } from "../src/auth-token.js";
import { CERTIFICATE_NEEDS_DOMAIN } from "../src/fargate-alb.js";
import { fargateMemoryFor } from "../src/fargate-sizes.js";
import { McpFargate, type McpFargateProps } from "../src/fargate.js";
import { boolVar, parse, resourcesOf, statements, stringVar, synth } from "./helpers.js";

const REPO = "arn:aws:ecr:eu-west-1:123456789012:repository/mcp";

function fargate(props: Partial<McpFargateProps> = {}): string {
  return synth((s, context) => {
    const authToken = new AuthToken(s, "tok", { name: "mcp", context });
    new McpFargate(s, "svc", {
      name: "mcp",
      imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp:v1",
      ecrRepositoryArn: REPO,
      vpcId: "vpc-1",
      subnetIds: ["subnet-a", "subnet-b"],
      albSubnetIds: ["subnet-c", "subnet-d"],
      authToken,
      context,
      ...props,
    });
  });
}

describe("McpFargate", () => {
  it("task definition: distinct roles, read-only root with /tmp volume, server mode on 8080, token from the secret", () => {
    const out = fargate();
    expect(out).toHaveResourceWithProperties(EcsTaskDefinition, {
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      execution_role_arn: "${aws_iam_role.svc_execution_role.arn}",
      task_role_arn: "${aws_iam_role.svc_task_role.arn}",
      volume: [{ name: "tmp" }],
      runtime_platform: { cpu_architecture: "ARM64", operating_system_family: "LINUX" },
    });
    const defs = resourcesOf(out, "aws_ecs_task_definition")[0]!.container_definitions as string;
    expect(defs).toContain('"readonlyRootFilesystem" = true');
    expect(defs).toContain('"command" = ["server"]');
    expect(defs).toContain('"containerPath" = "/tmp"');
    expect(defs).toContain('"name" = "MCP_AUTH_TOKEN"');
    const locals = JSON.parse(out).locals as Record<string, string>;
    expect(locals.svc_environment_map).toContain('"HOST" = "0.0.0.0"');
    expect(locals.svc_environment_map).toContain('"PORT" = "8080"');
  });

  it("execution role: pull from one repository, one log group, one secret; task role: nothing", () => {
    const out = fargate();
    const st = statements(out);
    expect(st.find((x) => x.sid === "PullOwnImage")!.resources).toEqual([REPO]);
    expect(st.find((x) => x.sid === "EcrAuth")!.actions).toEqual(["ecr:GetAuthorizationToken"]);
    expect(st.find((x) => x.sid === "ReadAuthTokenSecret")!.resources).toEqual([
      "${one(aws_secretsmanager_secret.tok_secret[*].arn)}",
    ]);
    const policies = resourcesOf(out, "aws_iam_role_policy");
    expect(policies.every((p) => String(p.role).includes("svc_execution_role"))).toBe(true);
  });

  it("token from SSM: secrets valueFrom the parameter ARN, ssm:GetParameters on it only", () => {
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", { name: "mcp", ssmParameterName: "/mcp/token", context });
      new McpFargate(s, "svc", {
        name: "mcp",
        imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp:v1",
        ecrRepositoryArn: REPO,
        vpcId: "vpc-1",
        subnetIds: ["subnet-a"],
        albSubnetIds: ["subnet-c", "subnet-d"],
        authToken,
        context,
      });
    });
    const ssm = statements(out).find((x) => x.sid === "ReadAuthTokenParameter")!;
    expect(ssm.actions).toEqual(["ssm:GetParameters"]);
    expect(ssm.resources).toEqual(["${local.tok_ssm_parameter_arn}"]);
    expect(JSON.parse(out).locals.tok_ssm_parameter_arn).toMatch(
      /^arn:\$\{data\.aws_partition.*:ssm:.*:parameter\/\$\{trimprefix\("\/mcp\/token", "\/"\)\}$/,
    );
    expect(statements(out).find((x) => x.sid === "ReadAuthTokenSecret")).toBeUndefined();
    const defs = resourcesOf(out, "aws_ecs_task_definition")[0]!.container_definitions as string;
    expect(defs).toContain(
      '"secrets" = [{"name" = "MCP_AUTH_TOKEN", "valueFrom" = local.tok_ssm_parameter_arn}]',
    );
  });

  it("creates a cluster unless one is given", () => {
    expect(fargate()).toHaveResource(EcsCluster);
    const out = fargate({ clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/c" });
    expect(out).not.toHaveResource(EcsCluster);
    expect(out).toHaveResourceWithProperties(EcsService, {
      cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/c",
    });
  });

  it("service: private, behind the target group, autoscaling between min and max", () => {
    const out = fargate({ minCapacity: 1, maxCapacity: 3 });
    expect(out).toHaveResourceWithProperties(EcsService, {
      launch_type: "FARGATE",
      network_configuration: expect.objectContaining({
        assign_public_ip: false,
        subnets: ["subnet-a", "subnet-b"],
      }),
      load_balancer: [expect.objectContaining({ container_name: "mcp", container_port: 8080 })],
    });
    expect(out).toHaveResourceWithProperties(AppautoscalingTarget, { min_capacity: 1, max_capacity: 3 });
    expect(out).toHaveResourceWithProperties(LbTargetGroup, {
      port: 8080,
      target_type: "ip",
      health_check: expect.objectContaining({ path: "/health" }),
    });
  });

  it("ALB: drops invalid headers, long idle timeout; HTTP forward without a certificate", () => {
    const out = fargate();
    expect(out).toHaveResourceWithProperties(Lb, {
      drop_invalid_header_fields: true,
      idle_timeout: 900,
      internal: false,
    });
    const listeners = resourcesOf(out, "aws_lb_listener");
    expect(listeners).toHaveLength(1);
    expect(listeners[0]).toMatchObject({ port: 80, protocol: "HTTP", default_action: [{ type: "forward" }] });
    const ingress = resourcesOf(out, "aws_vpc_security_group_ingress_rule");
    expect(ingress.map((r) => r.from_port).sort()).toEqual([80, 8080]);
  });

  it("ALB with a certificate: HTTPS on 443, HTTP redirects, 443 open", () => {
    const out = fargate({
      certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/c",
      domainName: "mcp.example.com",
    });
    expect(out).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(out).toHaveResourceWithProperties(LbListener, {
      port: 80,
      default_action: [
        { type: "redirect", redirect: expect.objectContaining({ protocol: "HTTPS", port: "443" }) },
      ],
    });
    const ingress = resourcesOf(out, "aws_vpc_security_group_ingress_rule");
    expect(ingress.map((r) => r.from_port).sort()).toEqual([443, 80, 8080]);
  });

  it("security groups: tasks admit the ALB only; the ALB may reach the tasks only", () => {
    const out = fargate();
    const taskIn = resourcesOf(out, "aws_vpc_security_group_ingress_rule").find((r) => r.from_port === 8080)!;
    expect(taskIn.referenced_security_group_id).toBe("${aws_security_group.svc_alb_sg.id}");
    const albOut = resourcesOf(out, "aws_vpc_security_group_egress_rule").find((r) => r.from_port === 8080)!;
    expect(albOut.referenced_security_group_id).toBe("${aws_security_group.svc_task_sg.id}");
  });

  it("no ECS init process: the image runs tini, and ECS's init would expose the environment in /proc/1/environ", () => {
    const defs = resourcesOf(fargate(), "aws_ecs_task_definition")[0]!.container_definitions as string;
    expect(defs).not.toContain("initProcessEnabled");
    expect(defs).not.toContain("linuxParameters");
  });

  it("CPU and memory as a pair: Fargate's table, refused at synth otherwise", () => {
    expect(fargateMemoryFor(256)).toEqual([512, 1024, 2048]);
    expect(fargateMemoryFor(512)).toEqual([1024, 2048, 3072, 4096]);
    expect(fargateMemoryFor(8192)).toEqual([
      16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440,
    ]);
    expect(fargateMemoryFor(16384).at(-1)).toBe(122880);
    expect(fargateMemoryFor(300)).toEqual([]);
    expect(() => fargate({ cpu: 256, memory: 4096 })).toThrow(/Fargate does not run 256 CPU with 4096 MiB/);
    const out = fargate({ cpu: 512, memory: 2048 });
    expect(resourcesOf(out, "aws_ecs_task_definition")[0]).toMatchObject({ cpu: 512, memory: 2048 });
  });

  it("URL: https://<domain> with a certificate, which needs the domain; Route 53 alias to the ALB when a zone is given", () => {
    const url = (props: Partial<McpFargateProps>) =>
      parse(
        synth((s, context) => {
          const authToken = new AuthToken(s, "tok", { name: "mcp", context });
          const svc = new McpFargate(s, "svc", {
            name: "mcp",
            imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp:v1",
            ecrRepositoryArn: REPO,
            vpcId: "vpc-1",
            subnetIds: ["subnet-a"],
            albSubnetIds: ["subnet-c", "subnet-d"],
            authToken,
            context,
            ...props,
          });
          new TerraformOutput(s, "svc_url", { value: svc.url });
        }),
      );
    const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/c";
    const withDomain = url({ certificateArn: cert, domainName: "mcp.example.com", route53ZoneId: "Z1" });
    expect(withDomain.output.svc_url.value).toBe('${format("%s://%s", "https", "mcp.example.com")}');
    const record = Object.values(withDomain.resource.aws_route53_record)[0] as Record<string, unknown>;
    expect(record).toMatchObject({
      zone_id: "Z1",
      name: "mcp.example.com",
      type: "A",
      alias: {
        name: "${aws_lb.svc_alb.dns_name}",
        zone_id: "${aws_lb.svc_alb.zone_id}",
        evaluate_target_health: true,
      },
    });
    expect(url({}).output.svc_url.value).toBe('${format("%s://%s", "http", aws_lb.svc_alb.dns_name)}');
    expect(url({}).resource.aws_route53_record).toBeUndefined();
    expect(() => url({ certificateArn: cert })).toThrow(CERTIFICATE_NEEDS_DOMAIN);
  });

  it("at plan time: the HTTPS listener's precondition asks for the domain; the task's for a token source", () => {
    const out = synth((s, context) => {
      const authToken = new AuthToken(s, "tok", {
        name: "mcp",
        createSecret: boolVar(s, "create_secret", true),
        context,
      });
      new McpFargate(s, "svc", {
        name: "mcp",
        imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp:v1",
        ecrRepositoryArn: REPO,
        vpcId: "vpc-1",
        subnetIds: ["subnet-a"],
        albSubnetIds: ["subnet-c", "subnet-d"],
        certificateArn: stringVar(s, "cert"),
        domainName: stringVar(s, "domain"),
        authToken,
        context,
      });
    });
    const https = resourcesOf(out, "aws_lb_listener").find((l) => l.protocol === "HTTPS")!;
    expect(https.lifecycle.precondition).toEqual([
      { condition: "${(length(compact([var.domain])) >= 1)}", error_message: CERTIFICATE_NEEDS_DOMAIN },
    ]);
    expect(resourcesOf(out, "aws_ecs_task_definition")[0]!.lifecycle.precondition).toEqual([
      { condition: "${local.tok_has_source}", error_message: NO_TOKEN_SOURCE },
    ]);
    expect(out).not.toHaveResource(Route53Record);
  });
});
