/**
 * Keep-warm: EventBridge Scheduler schedules that invoke the function with
 * `{"warmer": true, "concurrency": N}`.
 *
 * Fan-out choice: N schedules with the same expression, flexible window OFF, so N asynchronous
 * invocations arrive together. The handler answers a ping with `concurrency > 1` after a short hold
 * (so the N invocations overlap and Lambda spreads them over N execution environments). The
 * alternative, one schedule whose handler invokes itself N-1 times, would need
 * `lambda:InvokeFunction` on the function's own role; we keep that role free of it.
 * With the default reserved concurrency of 1 (one kernel), N is 1.
 */
import { Construct } from "constructs";
import { Fn, TerraformCount, Token } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule/index.js";
import { assumeRoleDocument, isSet, pick, rolePolicy, type Cond } from "./util.js";
import type { AwsContext } from "./aws-context.js";

export interface McpKeepWarmProps {
  /** Name prefix for the schedules and the role. */
  readonly name: string;
  /** Unqualified function ARN. */
  readonly functionArn: string;
  /** ARN of the alias to invoke (e.g. `live`); the unqualified function when unset. */
  readonly aliasArn?: string;
  /** Scheduler expression; default rate(5 minutes). */
  readonly scheduleExpression?: string;
  readonly scheduleTimezone?: string;
  /** How many execution environments to keep warm (schedules fired together); default 1. */
  readonly concurrency?: number;
  /** ENABLED when true (default). */
  readonly enabled?: Cond;
  readonly scheduleGroupName?: string;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class McpKeepWarm extends Construct {
  readonly role: IamRole;
  readonly schedule: SchedulerSchedule;
  readonly target: string;

  constructor(scope: Construct, id: string, props: McpKeepWarmProps) {
    super(scope, id);
    const concurrency = props.concurrency ?? 1;
    const hasAlias = isSet(props.aliasArn);
    this.target = pick(hasAlias, props.aliasArn ?? "", props.functionArn);
    const ctx = props.context;

    this.role = new IamRole(this, "role", {
      name: `${props.name}-keep-warm`,
      assumeRolePolicy: assumeRoleDocument(this, "assume", "scheduler.amazonaws.com", ctx.accountId).json,
      tags: props.tags,
    });
    rolePolicy(this, "invoke", this.role, true, [
      {
        sid: "InvokeThisFunctionOnly",
        actions: ["lambda:InvokeFunction"],
        resources: Token.asList(Fn.compact([props.functionArn, pick(hasAlias, props.aliasArn ?? "", "")])),
      },
    ]);

    const count = TerraformCount.of(Token.asNumber(concurrency));
    this.schedule = new SchedulerSchedule(this, "schedule", {
      count,
      name: `${props.name}-keep-warm-${Token.asString(count.index)}`,
      description: "Keeps the Jupyter MCP function warm (and its kernel started)",
      groupName: props.scheduleGroupName ?? "default",
      scheduleExpression: props.scheduleExpression ?? "rate(5 minutes)",
      scheduleExpressionTimezone: props.scheduleTimezone ?? "UTC",
      state: pick(props.enabled ?? true, "ENABLED", "DISABLED"),
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: this.target,
        roleArn: this.role.arn,
        input: Fn.jsonencode({ warmer: true, concurrency }),
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      },
    });
  }
}
