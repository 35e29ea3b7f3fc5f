/**
 * The Lambda function's platform inputs, named as terraform-aws-modules/lambda names them, so a
 * platform team's conventions carry over: VPC, environment encryption, tracing, an existing role or
 * a permissions boundary, and the logging format and levels. Shared by the Lambda front-door modules;
 * returns McpFunction props.
 */
import { APPLICATION_LOG_LEVELS, SYSTEM_LOG_LEVELS } from "./function-options.js";
import type { McpFunctionProps } from "./function.js";
import { ARN_PATTERNS, optionalString } from "./module-inputs.js";
import { rule, type ModuleStack } from "./module-stack.js";

type PlatformProps = Pick<
  McpFunctionProps,
  "vpc" | "kmsKeyArn" | "tracingMode" | "createRole" | "roleArn" | "rolePermissionsBoundary" | "logging"
>;

function optionalList(stack: ModuleStack, name: string, description: string, prefix: string): string[] {
  return stack.variable(name, {
    type: "list(string)",
    default: null,
    description,
    validation: [
      rule(
        `var.${name} == null ? true : alltrue([for x in var.${name} : startswith(x, "${prefix}")])`,
        `${name} must be a list of ${prefix}... IDs.`,
      ),
    ],
  }).listValue;
}

function oneOf(stack: ModuleStack, name: string, values: string[], description: string): string {
  const list = values.map((v) => `"${v}"`).join(", ");
  return stack.variable(name, {
    type: "string",
    default: null,
    description,
    validation: [
      rule(
        `var.${name} == null ? true : contains([${list}], var.${name})`,
        `${name} must be one of ${list}.`,
      ),
    ],
  }).stringValue;
}

export function lambdaPlatformVariables(stack: ModuleStack): PlatformProps {
  const subnetIds = optionalList(
    stack,
    "vpc_subnet_ids",
    "Subnets for the function (with vpc_security_group_ids): it then reaches the AWS APIs it uses (Secrets Manager or SSM, S3 and DynamoDB with a workspace, CloudWatch Logs) through NAT or VPC endpoints only. The role gets the network interface permissions of AWSLambdaVPCAccessExecutionRole. null: no VPC.",
    "subnet-",
  );
  const securityGroupIds = optionalList(
    stack,
    "vpc_security_group_ids",
    "Security groups of the function's network interfaces (with vpc_subnet_ids); they need HTTPS egress to those APIs. null: no VPC.",
    "sg-",
  );
  const kmsKeyArn = optionalString(stack, "kms_key_arn", {
    description:
      "Customer managed KMS key that encrypts the function's environment variables at rest (they hold names and ARNs, no secrets). Lambda creates a grant on it at deploy time: the deployer needs kms:CreateGrant and kms:Encrypt on it. null: Lambda's AWS managed key.",
    pattern: ARN_PATTERNS.kms,
    message: "kms_key_arn must be a KMS key ARN.",
  });
  const tracingMode = oneOf(
    stack,
    "tracing_mode",
    ["PassThrough", "Active"],
    'X-Ray tracing (tracing_config): "Active" samples and records calls, and the role may then write traces (xray:PutTraceSegments, xray:PutTelemetryRecords); "PassThrough" only passes an upstream trace header on. null: PassThrough.',
  );
  const createRole = stack.variable("create_role", {
    type: "bool",
    default: true,
    description:
      "Create the function's execution role. false: use lambda_role, to which the module attaches nothing; attach the role_policy_json output (what the function needs) yourself.",
  }).booleanValue;
  const roleArn = optionalString(stack, "lambda_role", {
    description:
      "ARN of an existing execution role for the function, used when create_role = false. Its trust policy must admit lambda.amazonaws.com.",
    pattern: ARN_PATTERNS.iamRole,
    message: "lambda_role must be an IAM role ARN.",
  });
  const boundary = optionalString(stack, "role_permissions_boundary", {
    description: "ARN of the policy used as the permissions boundary of the created role. null: none.",
    pattern: ARN_PATTERNS.iamPolicy,
    message: "role_permissions_boundary must be an IAM policy ARN.",
  });
  const logFormat = stack.variable("logging_log_format", {
    type: "string",
    default: "JSON",
    description:
      'Format of the function\'s logs: "JSON" (default; Lambda then filters by the levels below and the handler\'s lines stay structured) or "Text".',
    validation: [
      rule(
        'contains(["JSON", "Text"], var.logging_log_format)',
        'logging_log_format must be "JSON" or "Text".',
      ),
    ],
  }).stringValue;
  const appLevel = oneOf(
    stack,
    "logging_application_log_level",
    APPLICATION_LOG_LEVELS,
    "Lowest level of the handler's log lines that Lambda keeps (JSON format only). null: Lambda's default, INFO.",
  );
  const systemLevel = oneOf(
    stack,
    "logging_system_log_level",
    SYSTEM_LOG_LEVELS,
    "Lowest level of Lambda's own log lines (START, END, REPORT, ...) that it keeps (JSON format only). null: Lambda's default, INFO.",
  );
  return {
    vpc: { subnetIds, securityGroupIds },
    kmsKeyArn,
    tracingMode,
    createRole,
    roleArn,
    rolePermissionsBoundary: boundary,
    logging: { logFormat, applicationLogLevel: appLevel, systemLogLevel: systemLevel },
  };
}
