/**
 * Fargate: the same image in server mode on ECS Fargate behind an ALB (module modules/fargate).
 */
import { App } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import {
  ARN_PATTERNS,
  AuthToken,
  authTokenVariables,
  AwsContext,
  FARGATE_CPU,
  FARGATE_PAIRS_DOC,
  fargatePairCondition,
  handlerSettingsVariables,
  logVariables,
  McpFargate,
  ModuleStack,
  moduleWorkspace,
  oidcVariables,
  optionalString,
  rule,
  sessionVariables,
  tagsVariable,
  workspaceOutputs,
  workspaceVariables,
} from "@jupyter-mcp/constructs";

export const MODULE_NAME = "fargate";

export class FargateStack extends ModuleStack {
  constructor(scope: App, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", {});
    const context = new AwsContext(this, "context");

    const name = this.variable("name", {
      type: "string",
      default: "jupyter-mcp",
      description:
        "Name of the service; also the prefix of the cluster, ALB, target group, roles and log group.",
      validation: [
        rule(
          'can(regex("^[A-Za-z0-9-]{1,32}$", var.name))',
          "name must be 1-32 letters, digits or hyphens (ALB and target group names are limited to 32).",
        ),
      ],
    }).stringValue;
    const imageUri = this.variable("image_uri", {
      type: "string",
      description: 'Image URI of the server (tag or digest); the task runs it with command ["server"].',
    }).stringValue;
    const repoArn = this.variable("ecr_repository_arn", {
      type: "string",
      description: "ARN of the ECR repository holding image_uri (the execution role may pull from it only).",
      validation: [
        rule(
          'can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", var.ecr_repository_arn))',
          "ecr_repository_arn must be an ECR repository ARN.",
        ),
      ],
    }).stringValue;
    const clusterArn = optionalString(this, "cluster_arn", {
      description: "ARN of an existing ECS cluster; a cluster is created when null.",
      pattern: "^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/.+$",
      message: "cluster_arn must be an ECS cluster ARN.",
    });
    const insights = this.variable("enable_container_insights", {
      type: "bool",
      default: true,
      description: "Container Insights on the created cluster.",
    }).booleanValue;
    const vpcId = this.variable("vpc_id", {
      type: "string",
      description: "VPC of the service and the ALB.",
      validation: [rule('can(regex("^vpc-[0-9a-f]+$", var.vpc_id))', "vpc_id must be a VPC ID (vpc-...).")],
    }).stringValue;
    const subnetIds = this.variable("subnet_ids", {
      type: "list(string)",
      description:
        "Private subnets for the tasks (they get no public IP: give them a NAT gateway or VPC endpoints for ECR, Secrets Manager and CloudWatch Logs, plus S3 and DynamoDB with a workspace bucket).",
      validation: [rule("length(var.subnet_ids) >= 1", "subnet_ids needs at least one subnet.")],
    }).listValue;
    const albSubnetIds = this.variable("alb_subnet_ids", {
      type: "list(string)",
      description:
        "Subnets for the ALB, in at least two Availability Zones (public subnets for an internet-facing ALB).",
      validation: [rule("length(var.alb_subnet_ids) >= 2", "alb_subnet_ids needs at least two subnets.")],
    }).listValue;
    const internal = this.variable("internal", {
      type: "bool",
      default: false,
      description: "Make the ALB internal (reachable from the VPC only).",
    }).booleanValue;
    const certificateArn = optionalString(this, "certificate_arn", {
      description:
        "ACM certificate ARN for domain_name (which it needs). Set: HTTPS on 443 and HTTP redirects to it. null: plain HTTP on 80, which sends the bearer token in clear text (see the README warning).",
      pattern: ARN_PATTERNS.acm,
      message: "certificate_arn must be an ACM certificate ARN.",
    });
    const domainName = optionalString(this, "domain_name", {
      description:
        "The name clients call, e.g. mcp.example.com: the certificate's name, and the host of the url and mcp_url outputs (the ALB's own DNS name matches no certificate). Needed with certificate_arn. null: the ALB's DNS name, over HTTP.",
      pattern: "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$",
      message: "domain_name must be a lowercase DNS name.",
    });
    const zoneId = optionalString(this, "route53_zone_id", {
      description:
        "Route 53 hosted zone in which to create an alias record from domain_name to the ALB. null: create none (point your DNS at alb_dns_name / alb_zone_id yourself).",
      pattern: "^Z[A-Z0-9]+$",
      message: "route53_zone_id must be a Route 53 hosted zone ID.",
    });
    const sslPolicy = this.variable("ssl_policy", {
      type: "string",
      default: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      description: "TLS policy of the HTTPS listener.",
    }).stringValue;
    const cidrs = this.variable("alb_ingress_cidr_blocks", {
      type: "list(string)",
      default: ["0.0.0.0/0"],
      description: "IPv4 CIDR blocks allowed to reach the ALB's listener ports.",
      validation: [
        rule(
          "alltrue([for c in var.alb_ingress_cidr_blocks : can(cidrhost(c, 0))])",
          "alb_ingress_cidr_blocks must be IPv4 CIDR blocks.",
        ),
      ],
    }).listValue;
    const idle = this.variable("idle_timeout", {
      type: "number",
      default: 900,
      description: "ALB idle timeout in seconds; long, because one code execution may run for minutes.",
      validation: [rule("var.idle_timeout >= 1 && var.idle_timeout <= 4000", "idle_timeout must be 1-4000.")],
    }).numberValue;
    const cpu = this.variable("cpu", {
      type: "number",
      default: 1024,
      description: `Task CPU units (${FARGATE_CPU.join(", ")}).`,
      validation: [rule(`contains([${FARGATE_CPU.join(", ")}], var.cpu)`, "cpu must be a Fargate CPU size.")],
    }).numberValue;
    // Validated as a pair with cpu (a validation may refer to another variable since Terraform 1.9):
    // apart, pairs like 256/4096 would pass the plan and fail at RegisterTaskDefinition.
    const memory = this.variable("memory", {
      type: "number",
      default: 4096,
      description: `Task memory in MiB, one Fargate takes with cpu: ${FARGATE_PAIRS_DOC}.`,
      validation: [
        rule(
          fargatePairCondition("var.cpu", "var.memory"),
          `memory must suit cpu: Fargate takes ${FARGATE_PAIRS_DOC}.`,
        ),
      ],
    }).numberValue;
    const arch = this.variable("cpu_architecture", {
      type: "string",
      default: "ARM64",
      description: 'Task CPU architecture: "ARM64" or "X86_64". Must match the image.',
      validation: [
        rule(
          'contains(["ARM64", "X86_64"], var.cpu_architecture)',
          'cpu_architecture must be "ARM64" or "X86_64".',
        ),
      ],
    }).stringValue;
    const minCapacity = this.variable("min_capacity", {
      type: "number",
      default: 1,
      description:
        "Fewest tasks. Each task has its own kernel: with more than one, consecutive calls may land on different kernels.",
      validation: [rule("var.min_capacity >= 1", "min_capacity must be at least 1.")],
    }).numberValue;
    const maxCapacity = this.variable("max_capacity", {
      type: "number",
      default: 1,
      description:
        "Most tasks (CPU target tracking scales between min and max). 1 keeps a single shared kernel.",
      validation: [rule("var.max_capacity >= 1", "max_capacity must be at least 1.")],
    }).numberValue;
    const cpuTarget = this.variable("cpu_target_utilization", {
      type: "number",
      default: 60,
      description: "Average CPU utilization (%) the autoscaling policy aims for.",
      validation: [
        rule(
          "var.cpu_target_utilization > 0 && var.cpu_target_utilization <= 100",
          "cpu_target_utilization must be 1-100.",
        ),
      ],
    }).numberValue;
    const logs = logVariables(this);
    const tokenInputs = authTokenVariables(this, "ecs");
    const environment = handlerSettingsVariables(this);
    const ws = workspaceVariables(this);
    const sessions = sessionVariables(this);
    const tags = tagsVariable(this);

    const oidc = oidcVariables(
      this,
      "through the ALB, besides the bearer token; set create_auth_token_secret = false for JWT callers only",
    );
    // JWT callers only (oidc_issuer, checked by the server) need no token.
    const token = new AuthToken(this, "auth_token", {
      name,
      ...tokenInputs,
      optionalWhen: oidc.issuerSet,
      tags,
      context,
    });
    const workspace = moduleWorkspace(this, { name, ws, sessions, tags, context });
    const svc = new McpFargate(this, "fargate", {
      name,
      imageUri,
      ecrRepositoryArn: repoArn,
      clusterArn,
      enableContainerInsights: insights,
      vpcId,
      subnetIds,
      albSubnetIds,
      internal,
      certificateArn,
      domainName,
      route53ZoneId: zoneId,
      sslPolicy,
      albIngressCidrBlocks: cidrs,
      idleTimeout: idle,
      cpu,
      memory,
      cpuArchitecture: arch,
      minCapacity,
      maxCapacity,
      cpuTargetUtilization: cpuTarget,
      logRetentionDays: logs.retentionDays,
      logKmsKeyArn: logs.kmsKeyArn,
      authToken: token,
      oidc: { issuer: oidc.issuer, audience: oidc.audience, scopes: oidc.scopes },
      workspace,
      environment,
      tags,
      context,
    });

    this.output("url", {
      value: svc.url,
      description:
        "Base URL of the service: https://<domain_name> with a certificate, else http://<domain_name or the ALB's DNS name>.",
    });
    this.output("mcp_url", { value: `${svc.url}/mcp`, description: "The MCP endpoint to give to clients." });
    this.output("alb_dns_name", {
      value: svc.alb.dnsName,
      description: "DNS name of the ALB (point your record here).",
    });
    this.output("alb_zone_id", {
      value: svc.alb.zoneId,
      description: "Hosted zone of the ALB, for a Route 53 alias.",
    });
    this.output("alb_arn", { value: svc.alb.arn, description: "ARN of the ALB." });
    this.output("alb_security_group_id", {
      value: svc.albSecurityGroup.id,
      description: "Security group of the ALB.",
    });
    this.output("task_security_group_id", {
      value: svc.taskSecurityGroup.id,
      description: "Security group of the tasks (admits the ALB only).",
    });
    this.output("cluster_arn", {
      value: svc.clusterArn,
      description: "ARN of the ECS cluster (created or given).",
    });
    this.output("service_name", { value: svc.service.name, description: "Name of the ECS service." });
    this.output("task_definition_arn", {
      value: svc.taskDefinition.arn,
      description: "ARN of the task definition.",
    });
    this.output("execution_role_arn", {
      value: svc.executionRole.arn,
      description: "ECS execution role (pulls the image, writes logs, reads the token secret).",
    });
    this.output("task_role_arn", {
      value: svc.taskRole.arn,
      description:
        "Task role: the identity of the server and its kernel; no permissions by default (with a workspace: its prefix; with sessions: the session table and reading the checkpoint key's secret).",
    });
    this.output("log_group_name", { value: svc.logGroup.name, description: "The tasks' log group." });
    this.output("auth_token_secret_arn", {
      value: token.secretArn,
      description:
        "Secret holding the bearer token (created or given); null when the token is in SSM, or with create_auth_token_secret = false and oidc_issuer (JWT callers only).",
    });
    workspaceOutputs(this, workspace);
  }
}

export function buildApp(outdir?: string): { app: App; stack: FargateStack } {
  const app = new App({ outdir });
  return { app, stack: new FargateStack(app, MODULE_NAME) };
}
