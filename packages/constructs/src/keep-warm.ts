/**
 * Keep-warm: EventBridge Scheduler schedules that invoke the function with
 * `{"warmer": true, "concurrency": N}`.
 *
 * Fan-out choice: N schedules with the same expression, flexible window OFF, so N asynchronous
 * invocations arrive together. The handler answers a ping with `concurrency > 1` after a short hold
 * (so the N invocations overlap and Lambda spreads them over N execution environments). The
 * alternative, one schedule whose handler invokes itself N-1 times, would need
 * `lambda:InvokeFunction` on the function's own role; we keep that role free of it.
 *
 * Scheduler invokes asynchronously, so a throttled ping would wait in Lambda's own async queue (up to
 * 6 hours, with 2 retries) and arrive long after it is useful: an event invoke config on the pinged
 * qualifier drops pings after a minute, without retries. It applies to every asynchronous call of
 * that qualifier; the MCP front doors call synchronously, so the pings are the only ones.
 */
import { Construct } from "constructs";
import { Fn, TerraformCount, Token } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule/index.js";
import { assumeRoleDocument, isSet, NULL, pick, rolePolicy, when, type Cond } from "./util.js";

/** How long a ping may wait in Lambda's async queue (60 s is the least Lambda accepts). */
export const PING_MAX_AGE_SECONDS = 60;
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
  /** Customer managed KMS key for the schedules (CKV_AWS_297); an AWS owned key when unset. */
  readonly kmsKeyArn?: string;
  /**
   * The event invoke config on the pinged qualifier (default true); false when you manage that
   * qualifier's async settings yourself (there can be only one config per qualifier).
   */
  readonly asyncConfig?: Cond;
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class McpKeepWarm extends Construct {
  readonly role: IamRole;
  readonly schedule: SchedulerSchedule;
  readonly target: string;
  readonly eventInvokeConfig?: LambdaFunctionEventInvokeConfig;

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
      kmsKeyArn:
        props.kmsKeyArn === undefined ? undefined : pick(isSet(props.kmsKeyArn), props.kmsKeyArn, NULL),
      scheduleExpression: props.scheduleExpression ?? "rate(5 minutes)",
      scheduleExpressionTimezone: props.scheduleTimezone ?? "UTC",
      state: pick(props.enabled ?? true, "ENABLED", "DISABLED"),
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: this.target,
        roleArn: this.role.arn,
        input: Fn.jsonencode({ warmer: true, concurrency }),
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: PING_MAX_AGE_SECONDS },
      },
    });

    // The alias name is the ARN's 8th field (arn:aws:lambda:REGION:ACCOUNT:function:NAME:ALIAS).
    const alias = props.aliasArn ?? "";
    const aliasName = Token.isUnresolved(alias) ? Fn.element(Fn.split(":", alias), 7) : alias.split(":")[7];
    this.eventInvokeConfig = when(
      props.asyncConfig ?? true,
      (n) =>
        new LambdaFunctionEventInvokeConfig(this, "async", {
          count: n,
          functionName: props.functionArn,
          qualifier: hasAlias === false ? undefined : pick(hasAlias, aliasName ?? "", NULL),
          maximumRetryAttempts: 0,
          maximumEventAgeInSeconds: PING_MAX_AGE_SECONDS,
        }),
    );
  }
}
