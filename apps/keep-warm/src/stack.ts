/**
 * Keep-warm: EventBridge Scheduler schedules pinging the function (module modules/keep-warm).
 */
import { App } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import {
  ARN_PATTERNS,
  AwsContext,
  McpKeepWarm,
  ModuleStack,
  optionalString,
  rule,
  tagsVariable,
} from "@jupyter-mcp/constructs";

export const MODULE_NAME = "keep-warm";

export class KeepWarmStack extends ModuleStack {
  constructor(scope: App, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", {});
    const context = new AwsContext(this, "context");
    const name = this.variable("name", {
      type: "string",
      default: "jupyter-mcp",
      description: "Prefix of the schedules' and the role's names (usually the function name).",
      validation: [
        rule(
          'can(regex("^[A-Za-z0-9_-]{1,40}$", var.name))',
          "name must be 1-40 letters, digits, hyphens or underscores.",
        ),
      ],
    }).stringValue;
    const functionArn = this.variable("function_arn", {
      type: "string",
      description:
        "Unqualified ARN of the function to keep warm (the lambda-http-api module's function_arn).",
      validation: [
        rule(
          'can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", var.function_arn))',
          "function_arn must be an unqualified Lambda function ARN.",
        ),
      ],
    }).stringValue;
    const aliasArn = optionalString(this, "function_alias_arn", {
      description:
        "ARN of the alias to ping (the lambda-http-api module's function_alias_arn); pings the unqualified function when null. Ping what the traffic uses, or the warm environment is not the one serving calls.",
      pattern: "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$",
      message: "function_alias_arn must be a qualified Lambda function ARN.",
    });
    const expression = this.variable("schedule_expression", {
      type: "string",
      default: "rate(5 minutes)",
      description:
        "EventBridge Scheduler expression. Lambda reclaims idle environments after roughly 5 to 15 minutes; rate(5 minutes) keeps one warm.",
      validation: [
        rule(
          'can(regex("^(rate|cron)\\\\(.+\\\\)$", var.schedule_expression))',
          "schedule_expression must be rate(...) or cron(...).",
        ),
      ],
    }).stringValue;
    const timezone = this.variable("schedule_expression_timezone", {
      type: "string",
      default: "UTC",
      description: "Time zone of a cron() schedule_expression.",
    }).stringValue;
    const concurrency = this.variable("concurrency", {
      type: "number",
      default: 1,
      description:
        'How many execution environments to keep warm: that many schedules fire together, each with payload {"warmer": true, "concurrency": N}. Keep it at most the function\'s reserved concurrency when one is set (none by default).',
      validation: [
        rule(
          "var.concurrency >= 1 && var.concurrency <= 20 && floor(var.concurrency) == var.concurrency",
          "concurrency must be a whole number from 1 to 20.",
        ),
      ],
    }).numberValue;
    const enabled = this.variable("enabled", {
      type: "bool",
      default: true,
      description: "Whether the schedules are ENABLED (false keeps them, DISABLED).",
    }).booleanValue;
    const kmsKeyArn = optionalString(this, "kms_key_arn", {
      description:
        "Customer managed KMS key for the schedules (CKV_AWS_297); its key policy must let EventBridge Scheduler use it. null: an AWS owned key (the payload is a ping, not data).",
      pattern: ARN_PATTERNS.kms,
      message: "kms_key_arn must be a KMS key ARN.",
    });
    const asyncConfig = this.variable("create_async_event_config", {
      type: "bool",
      default: true,
      description:
        "Create the pinged qualifier's aws_lambda_function_event_invoke_config: no retries, and pings older than 60 s dropped, instead of Lambda's 2 retries and 6 hours in its async queue. It applies to every asynchronous call of that qualifier (the MCP front doors call synchronously). false when you manage that qualifier's async settings yourself (there can be only one).",
    }).booleanValue;
    const tags = tagsVariable(this);

    const warm = new McpKeepWarm(this, "keep_warm", {
      name,
      functionArn,
      aliasArn,
      scheduleExpression: expression,
      scheduleTimezone: timezone,
      concurrency,
      enabled,
      kmsKeyArn,
      asyncConfig,
      tags,
      context,
    });

    this.output("schedule_names", {
      value: `\${${warm.schedule.fqn}[*].name}`,
      description: "Names of the schedules (in the default schedule group).",
    });
    this.output("schedule_arns", {
      value: `\${${warm.schedule.fqn}[*].arn}`,
      description: "ARNs of the schedules.",
    });
    this.output("role_arn", {
      value: warm.role.arn,
      description: "Role EventBridge Scheduler assumes to invoke.",
    });
    this.output("target_arn", {
      value: warm.target,
      description: "What the schedules invoke (alias or function).",
    });
  }
}

export function buildApp(outdir?: string): { app: App; stack: KeepWarmStack } {
  const app = new App({ outdir });
  return { app, stack: new KeepWarmStack(app, MODULE_NAME) };
}
