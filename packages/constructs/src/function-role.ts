/**
 * The function's execution role: created here (optionally under a permissions boundary), with one
 * inline policy per feature in use, or an existing role the caller owns (`create_role = false` +
 * `lambda_role`, as terraform-aws-modules/lambda name them), to which nothing is attached: the
 * permissions the function needs are then offered as one policy document (`policyJson`) for the
 * caller to attach. Resources are declared in the function's scope, so their addresses stay
 * `<fn>_role`, `<fn>_logs_policy`, ... whichever file builds them.
 */
import type { Construct } from "constructs";
import { Fn, Op, Token } from "cdktf";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { AuthToken } from "./auth-token.js";
import type { AwsContext } from "./aws-context.js";
import type { McpWorkspace } from "./workspace.js";
import {
  assumeRoleDocument,
  eq,
  isLiteral,
  pick,
  ref,
  rolePolicy,
  when,
  type Cond,
  type RoleTarget,
} from "./util.js";

/**
 * The ENI actions of AWSLambdaVPCAccessExecutionRole. The two Describe actions have no
 * resource-level permissions ("*" only, as AWS documents for Lambda); the others are limited to
 * network interfaces, subnets and security groups of this account and region.
 */
export const VPC_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"];
export const VPC_ENI_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
];
/** What Lambda's X-Ray integration needs (AWSXRayDaemonWriteAccess's writes); "*" only. */
export const XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

export interface FunctionRoleProps {
  readonly functionName: string;
  readonly logGroup: CloudwatchLogGroup;
  readonly createRole: Cond;
  /** The existing role's ARN (used when createRole does not hold). */
  readonly roleArn?: string;
  readonly permissionsBoundary?: string;
  readonly authToken?: AuthToken;
  readonly workspace?: McpWorkspace;
  /** The function is in a VPC: the ENI permissions. */
  readonly vpc: Cond;
  /** tracing_mode is "Active": the X-Ray permissions. */
  readonly tracingMode?: string;
  /** For the ENI ARNs; needed only with a VPC. */
  readonly context?: AwsContext;
  readonly tags?: Record<string, string>;
}

export interface FunctionRole {
  /** The created role, unless an existing one is literally given. */
  readonly role?: IamRole;
  readonly arn: string;
  readonly name: string;
  /** The logs policy, which the function waits for (its first log lines need it). */
  readonly logsPolicy?: IamRolePolicy;
  /** Every permission the function needs, as one policy document; only when a role may be given. */
  readonly policyJson?: string;
}

export function functionRole(scope: Construct, props: FunctionRoleProps): FunctionRole {
  const create = props.createRole;
  if (create === false && props.roleArn === undefined) {
    throw new Error("McpFunction: createRole false needs roleArn (the existing execution role)");
  }
  const role = when(
    create,
    (count) =>
      new IamRole(scope, "role", {
        count,
        name: `${props.functionName}-lambda`,
        assumeRolePolicy: assumeRoleDocument(scope, "assume", "lambda.amazonaws.com").json,
        permissionsBoundary: props.permissionsBoundary,
        tags: props.tags,
      }),
  );
  const given = props.roleArn ?? "";
  const attr = (name: "arn" | "name", fromArn: string): string => {
    if (!role) return fromArn;
    if (role.count === undefined) return { arn: role.arn, name: role.name }[name];
    return pick(create, ref(role, name), fromArn);
  };
  // A role ARN may carry a path (role/service/x): the name is its last segment.
  const givenName = Token.isUnresolved(given) ? Fn.regex("[^/]+$", given) : given.split("/").pop()!;
  const documents: string[] = [];
  // The policies are counted on the role's own condition, so they may name it without a fallback.
  const roleId = !role ? "" : role.count === undefined ? role.id : ref(role, "id");
  const target: RoleTarget = { id: roleId, attach: create, documents };

  const logsPolicy = rolePolicy(scope, "logs", target, true, [
    {
      sid: "OwnLogGroupOnly",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [`${props.logGroup.arn}:*`],
    },
  ]);
  const token = props.authToken;
  if (token) {
    rolePolicy(scope, "auth-secret", target, token.usesSecret, [
      {
        sid: "ReadAuthTokenSecret",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [token.secretArn],
      },
    ]);
    rolePolicy(scope, "auth-ssm", target, token.usesSsm, [
      { sid: "ReadAuthTokenParameter", actions: ["ssm:GetParameter"], resources: [token.ssmParameterArn] },
    ]);
    if (token.kmsKeyArn !== undefined) {
      rolePolicy(scope, "auth-kms", target, token.usesKms, [
        { sid: "DecryptAuthToken", actions: ["kms:Decrypt"], resources: [token.kmsKeyArn] },
      ]);
    }
  }
  props.workspace?.grant(scope, "workspace", target);

  if (props.vpc !== false) {
    const ctx = props.context;
    if (!ctx) throw new Error("McpFunction: a VPC needs `context` (the ARNs of the network interfaces)");
    const ec2 = `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}`;
    rolePolicy(scope, "vpc", target, props.vpc, [
      {
        sid: "VpcNetworkInterfaces",
        actions: VPC_ENI_ACTIONS,
        resources: [`${ec2}:network-interface/*`, `${ec2}:subnet/*`, `${ec2}:security-group/*`],
      },
      { sid: "VpcDescribe", actions: VPC_DESCRIBE_ACTIONS, resources: ["*"] },
    ]);
  }
  if (props.tracingMode !== undefined) {
    rolePolicy(scope, "xray", target, eq(props.tracingMode, "Active"), [
      { sid: "XRayWrite", actions: XRAY_ACTIONS, resources: ["*"] },
    ]);
  }

  // One document for a role the caller brings (source documents need distinct sids: they have).
  const policyJson =
    isLiteral(create) && create
      ? undefined
      : new DataAwsIamPolicyDocument(scope, "permissions", {
          sourcePolicyDocuments: Token.asList(Fn.compact(documents)),
        }).json;
  return {
    role,
    arn: attr("arn", given),
    name: attr("name", givenName),
    logsPolicy,
    policyJson,
  };
}

/** `create_role = false` needs `lambda_role`: the precondition, for a plan-time choice. */
export function roleGivenCondition(createRole: Cond, roleArn: string | undefined): Cond {
  if (isLiteral(createRole)) return true;
  return Op.or(createRole, Op.gte(Fn.lengthOf(Fn.compact([roleArn ?? ""])), 1));
}
