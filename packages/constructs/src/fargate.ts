/**
 * The always-on alternative: the same image in server mode on ECS Fargate behind an ALB.
 *
 * - Separate execution role (pull the image from one repository, write the one log group, read the
 *   one token secret or parameter) and task role (nothing by default; with a workspace its prefix,
 *   with sessions the lease table and the checkpoint key secret, which the server reads at start).
 * - readonlyRootFilesystem with a task-local volume at /tmp (kernels and their files live there).
 * - Tasks get no public IP and admit traffic from the ALB's security group only, on the container
 *   port; their egress is HTTPS (ECR, Secrets Manager, CloudWatch Logs; or use VPC endpoints).
 * - ALB: drops invalid header fields, long idle timeout (kernel calls may run for minutes), HTTPS
 *   when a certificate is given (HTTP then redirects), plain HTTP otherwise (see fargate-alb.ts).
 * - No ECS init process (`initProcessEnabled`): the image's entrypoint already runs tini as PID 1,
 *   and ECS's init would hold the container's environment, MCP_AUTH_TOKEN and the credentials URI
 *   included, in its /proc/1/environ, readable by the kernel's code.
 * - CPU and memory are checked as a pair (fargate-sizes.ts).
 */
import { Construct } from "constructs";
import { Fn, Token } from "cdktf";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy/index.js";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster/index.js";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service/index.js";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import type { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import type { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import type { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import type { AuthToken } from "./auth-token.js";
import type { McpWorkspace } from "./workspace.js";
import type { AwsContext } from "./aws-context.js";
import { CONTAINER_PORT, fargateAlb } from "./fargate-alb.js";
import { FARGATE_PAIRS_DOC, fargateMemoryFor } from "./fargate-sizes.js";
import type { McpSettings } from "./function.js";
import { mcpContainer } from "./fargate-container.js";
import {
  assumeRoleDocument,
  isSet,
  named,
  not,
  pick,
  ref,
  rolePolicy,
  when,
  type Cond,
  type OptString,
} from "./util.js";

export { CONTAINER_PORT };

export interface FargateOidc {
  readonly issuer?: OptString;
  readonly audience?: OptString;
  readonly scopes?: string[];
}

export interface McpFargateProps {
  readonly name: string;
  readonly imageUri: string;
  /** ARN of the ECR repository the image comes from (the execution role may pull from it only). */
  readonly ecrRepositoryArn: string;
  /** Existing cluster ARN; a cluster is created when unset. */
  readonly clusterArn?: string;
  readonly vpcId: string;
  /** Private subnets for the tasks. */
  readonly subnetIds: string[];
  /** Subnets for the ALB (public ones for an internet-facing ALB). */
  readonly albSubnetIds: string[];
  readonly internal?: Cond;
  /** ACM certificate ARN: HTTPS listener on 443 and HTTP→HTTPS redirect (needs `domainName`). */
  readonly certificateArn?: string;
  /** The name clients call, the certificate's (e.g. mcp.example.com); the ALB's DNS name when unset. */
  readonly domainName?: string;
  /** Route 53 hosted zone in which to create an alias record for `domainName`; none when unset. */
  readonly route53ZoneId?: string;
  readonly sslPolicy?: string;
  /** Who may reach the ALB listeners. */
  readonly albIngressCidrBlocks?: string[];
  readonly idleTimeout?: number;
  readonly cpu?: number;
  readonly memory?: number;
  /** "ARM64" (default) or "X86_64". */
  readonly cpuArchitecture?: string;
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  readonly cpuTargetUtilization?: number;
  readonly logRetentionDays?: number;
  readonly logKmsKeyArn?: string;
  readonly settings?: McpSettings;
  readonly authToken: AuthToken;
  /** Workspace bucket: its environment variables, and access to its prefix for the task role. */
  readonly workspace?: McpWorkspace;
  readonly environment?: Record<string, string>;
  /**
   * JWTs of this OIDC issuer are accepted besides the token, checked by the server itself
   * (MCP_JWT_VALIDATION=server, the issuer's JWKS); with a certificate, MCP_PUBLIC_URL is
   * https://<domainName>. Give the AuthToken `optionalWhen` the same issuer for JWT callers only.
   */
  readonly oidc?: FargateOidc;
  readonly enableContainerInsights?: Cond;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class McpFargate extends Construct {
  readonly cluster?: EcsCluster;
  readonly clusterArn: string;
  readonly taskDefinition: EcsTaskDefinition;
  readonly service: EcsService;
  readonly executionRole: IamRole;
  readonly taskRole: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly alb: Lb;
  readonly albSecurityGroup: SecurityGroup;
  readonly taskSecurityGroup: SecurityGroup;
  readonly targetGroup: LbTargetGroup;
  readonly httpsListener?: LbListener;
  readonly httpRedirectListener?: LbListener;
  readonly httpForwardListener?: LbListener;
  /** https://<domain> with a certificate, else http://<domain or ALB DNS name>. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: McpFargateProps) {
    super(scope, id);
    const tags = props.tags;
    const ctx = props.context;
    const hasCert = named(this, "has_certificate", isSet(props.certificateArn));
    const hasCluster = named(this, "has_cluster_arn", isSet(props.clusterArn));

    this.cluster = when(
      not(hasCluster),
      (count) =>
        new EcsCluster(this, "cluster", {
          count,
          name: props.name,
          setting: [
            {
              name: "containerInsights",
              value: pick(props.enableContainerInsights ?? true, "enabled", "disabled"),
            },
          ],
          tags,
        }),
    );
    this.clusterArn = this.cluster
      ? pick(hasCluster, props.clusterArn ?? "", ref(this.cluster, "arn"))
      : (props.clusterArn ?? "");

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/ecs/${props.name}`,
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.logKmsKeyArn,
      tags,
    });

    // Execution role: what ECS needs to start the task, nothing the code inside can use.
    this.executionRole = new IamRole(this, "execution-role", {
      name: `${props.name}-ecs-execution`,
      assumeRolePolicy: assumeRoleDocument(this, "execution-assume", "ecs-tasks.amazonaws.com", ctx.accountId)
        .json,
      tags,
    });
    rolePolicy(this, "execution", this.executionRole, true, [
      // GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
      { sid: "EcrAuth", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
      {
        sid: "PullOwnImage",
        actions: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        resources: [props.ecrRepositoryArn],
      },
      {
        sid: "OwnLogGroupOnly",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
    ]);
    const token = props.authToken;
    rolePolicy(this, "execution-secret", this.executionRole, token.usesSecret, [
      {
        sid: "ReadAuthTokenSecret",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [token.secretArn],
      },
    ]);
    rolePolicy(this, "execution-ssm", this.executionRole, token.usesSsm, [
      { sid: "ReadAuthTokenParameter", actions: ["ssm:GetParameters"], resources: [token.ssmParameterArn] },
    ]);
    if (token.kmsKeyArn !== undefined) {
      rolePolicy(this, "execution-kms", this.executionRole, token.usesKms, [
        { sid: "DecryptAuthToken", actions: ["kms:Decrypt"], resources: [token.kmsKeyArn] },
      ]);
    }

    // Task role: the identity of the code (and of the kernel). No permissions by default.
    this.taskRole = new IamRole(this, "task-role", {
      name: `${props.name}-ecs-task`,
      assumeRolePolicy: assumeRoleDocument(this, "task-assume", "ecs-tasks.amazonaws.com", ctx.accountId)
        .json,
      tags,
    });

    props.workspace?.grant(this, "workspace", this.taskRole);

    const container = mcpContainer(this, props, hasCert, this.logGroup.name);

    const cpu = props.cpu ?? 1024;
    const memory = props.memory ?? 4096;
    if (!Token.isUnresolved(cpu) && !Token.isUnresolved(memory) && !fargateMemoryFor(cpu).includes(memory)) {
      throw new Error(`Fargate does not run ${cpu} CPU with ${memory} MiB; it takes ${FARGATE_PAIRS_DOC}`);
    }
    const preconditions = token.preconditions();
    this.taskDefinition = new EcsTaskDefinition(this, "task", {
      family: props.name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: Token.asString(cpu),
      memory: Token.asString(memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture ?? "ARM64" },
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      volume: [{ name: "tmp" }],
      containerDefinitions: Fn.jsonencode([container]),
      tags,
      lifecycle: preconditions.length > 0 ? { precondition: preconditions } : undefined,
    });

    const lb = fargateAlb(this, { ...props, hasCertificate: hasCert });
    this.albSecurityGroup = lb.albSecurityGroup;
    this.taskSecurityGroup = lb.taskSecurityGroup;
    this.alb = lb.alb;
    this.targetGroup = lb.targetGroup;
    this.httpsListener = lb.httpsListener;
    this.httpRedirectListener = lb.httpRedirectListener;
    this.httpForwardListener = lb.httpForwardListener;
    this.url = lb.url;

    const minCapacity = props.minCapacity ?? 1;
    this.service = new EcsService(this, "service", {
      name: props.name,
      cluster: this.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      launchType: "FARGATE",
      desiredCount: minCapacity,
      healthCheckGracePeriodSeconds: 60,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      networkConfiguration: {
        subnets: props.subnetIds,
        securityGroups: [this.taskSecurityGroup.id],
        assignPublicIp: false,
      },
      loadBalancer: [
        { targetGroupArn: this.targetGroup.arn, containerName: "mcp", containerPort: CONTAINER_PORT },
      ],
      propagateTags: "SERVICE",
      lifecycle: { ignoreChanges: ["desired_count"] },
      dependsOn: [this.httpsListener, this.httpForwardListener].filter(
        (l): l is LbListener => l !== undefined,
      ),
      tags,
    });

    const target = new AppautoscalingTarget(this, "scaling-target", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${Fn.element(Fn.split("/", this.clusterArn), 1)}/${this.service.name}`,
      minCapacity,
      maxCapacity: props.maxCapacity ?? 1,
    });
    new AppautoscalingPolicy(this, "scaling-cpu", {
      name: `${props.name}-cpu`,
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        targetValue: props.cpuTargetUtilization ?? 60,
      },
    });
  }
}
