/**
 * The Fargate service's front: an ALB (invalid header fields dropped, long idle timeout), its target
 * group, the listeners, the two security groups, and optionally a Route 53 alias for `domainName`.
 *
 * - HTTPS on 443 when a certificate is given, and HTTP then only redirects; plain HTTP otherwise
 *   (see the README warning).
 * - The URL clients get is `https://<domainName>`: a certificate is for a name of yours, and the
 *   ALB's own DNS name (`*.elb.amazonaws.com`) matches none, so a certificate needs `domainName`
 *   (a precondition says so). Without a certificate it is `http://<domainName or ALB DNS name>`.
 *
 * Declared in the McpFargate scope, so the addresses stay `<svc>_alb`, `<svc>_tg`, `<svc>_https`...
 */
import type { Construct } from "constructs";
import { Fn, TerraformCount, Token } from "cdktf";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import { and, isLiteral, isSet, not, pick, when, type Cond } from "./util.js";

export const CONTAINER_PORT = 8080;

export const CERTIFICATE_NEEDS_DOMAIN =
  "certificate_arn needs domain_name: the name the certificate is for, which clients call (and which you point at the ALB, or route53_zone_id does). The ALB's own DNS name matches no certificate.";

export interface FargateAlbProps {
  readonly name: string;
  readonly vpcId: string;
  readonly albSubnetIds: string[];
  readonly internal?: Cond;
  readonly hasCertificate: Cond;
  readonly certificateArn?: string;
  readonly sslPolicy?: string;
  readonly albIngressCidrBlocks?: string[];
  readonly idleTimeout?: number;
  /** The name clients use (the certificate's); the ALB's DNS name when unset. */
  readonly domainName?: string;
  /** Route 53 hosted zone in which to create an alias record for `domainName`; none when unset. */
  readonly route53ZoneId?: string;
  readonly tags?: Record<string, string>;
}

export interface FargateAlb {
  readonly alb: Lb;
  readonly albSecurityGroup: SecurityGroup;
  readonly taskSecurityGroup: SecurityGroup;
  readonly targetGroup: LbTargetGroup;
  readonly httpsListener?: LbListener;
  readonly httpRedirectListener?: LbListener;
  readonly httpForwardListener?: LbListener;
  /** https://<domain> with a certificate, else http://<domain or ALB DNS name>. */
  readonly url: string;
}

export function fargateAlb(scope: Construct, props: FargateAlbProps): FargateAlb {
  const tags = props.tags;
  const hasCert = props.hasCertificate;
  const hasDomain = isSet(props.domainName);
  if (isLiteral(hasCert) && hasCert && hasDomain === false) throw new Error(CERTIFICATE_NEEDS_DOMAIN);
  // Security groups: the ALB admits its listener ports from the given CIDRs and may only reach
  // the tasks; the tasks admit the ALB only.
  const albSecurityGroup = new SecurityGroup(scope, "alb-sg", {
    name: `${props.name}-alb`,
    description: "Jupyter MCP ALB: listener ports in, container port out to the tasks",
    vpcId: props.vpcId,
    tags,
  });
  const taskSecurityGroup = new SecurityGroup(scope, "task-sg", {
    name: `${props.name}-tasks`,
    description: "Jupyter MCP tasks: the ALB in, HTTPS out",
    vpcId: props.vpcId,
    tags,
  });
  const cidrs = props.albIngressCidrBlocks ?? ["0.0.0.0/0"];
  const listenerPorts: [string, number, Cond][] = [
    ["http", 80, true],
    ["https", 443, hasCert],
  ];
  for (const [label, port, cond] of listenerPorts) {
    if (cond === false) continue;
    const count = TerraformCount.of(Token.asNumber(pick(cond, Fn.lengthOf(cidrs), 0)));
    new VpcSecurityGroupIngressRule(scope, `alb-in-${label}`, {
      count,
      securityGroupId: albSecurityGroup.id,
      description: `Listener port ${port}`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      cidrIpv4: Fn.element(cidrs, Token.asNumber(count.index)),
      tags,
    });
  }
  new VpcSecurityGroupEgressRule(scope, "alb-out-tasks", {
    securityGroupId: albSecurityGroup.id,
    description: "To the tasks' container port",
    ipProtocol: "tcp",
    fromPort: CONTAINER_PORT,
    toPort: CONTAINER_PORT,
    referencedSecurityGroupId: taskSecurityGroup.id,
    tags,
  });
  new VpcSecurityGroupIngressRule(scope, "task-in-alb", {
    securityGroupId: taskSecurityGroup.id,
    description: "From the ALB only",
    ipProtocol: "tcp",
    fromPort: CONTAINER_PORT,
    toPort: CONTAINER_PORT,
    referencedSecurityGroupId: albSecurityGroup.id,
    tags,
  });
  new VpcSecurityGroupEgressRule(scope, "task-out-https", {
    securityGroupId: taskSecurityGroup.id,
    description: "HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs)",
    ipProtocol: "tcp",
    fromPort: 443,
    toPort: 443,
    cidrIpv4: "0.0.0.0/0",
    tags,
  });

  const alb = new Lb(scope, "alb", {
    name: props.name,
    loadBalancerType: "application",
    internal: props.internal ?? false,
    subnets: props.albSubnetIds,
    securityGroups: [albSecurityGroup.id],
    dropInvalidHeaderFields: true,
    idleTimeout: props.idleTimeout ?? 900,
    tags,
  });

  const targetGroup = new LbTargetGroup(scope, "tg", {
    name: props.name,
    port: CONTAINER_PORT,
    protocol: "HTTP",
    targetType: "ip",
    vpcId: props.vpcId,
    deregistrationDelay: "30",
    healthCheck: {
      enabled: true,
      path: "/health",
      matcher: "200",
      interval: 15,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    },
    tags,
  });

  const httpsListener = when(
    hasCert,
    (count) =>
      new LbListener(scope, "https", {
        count,
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: props.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06",
        certificateArn: props.certificateArn,
        defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        tags,
        lifecycle: isLiteral(hasDomain)
          ? undefined
          : { precondition: [{ condition: hasDomain, errorMessage: CERTIFICATE_NEEDS_DOMAIN }] },
      }),
  );
  // HTTP: redirects to HTTPS when there is a certificate, else forwards (see the README warning).
  // Two conditional listeners, because a nested block cannot be chosen by an expression.
  const httpRedirectListener = when(
    hasCert,
    (count) =>
      new LbListener(scope, "http-redirect", {
        count,
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [
          { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } },
        ],
        tags,
      }),
  );
  const httpForwardListener = when(
    not(hasCert),
    (count) =>
      new LbListener(scope, "http", {
        count,
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        tags,
      }),
  );
  const host = pick(hasDomain, props.domainName ?? "", alb.dnsName);
  const url = Fn.format("%s://%s", [pick(hasCert, "https", "http"), host]);
  when(
    and(hasDomain, isSet(props.route53ZoneId)),
    (count) =>
      new Route53Record(scope, "dns", {
        count,
        zoneId: props.route53ZoneId ?? "",
        name: props.domainName ?? "",
        type: "A",
        alias: { name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true },
      }),
  );
  return {
    alb,
    albSecurityGroup,
    taskSecurityGroup,
    targetGroup,
    httpsListener,
    httpRedirectListener,
    httpForwardListener,
    url,
  };
}
