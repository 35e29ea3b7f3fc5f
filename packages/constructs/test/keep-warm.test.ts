import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule/index.js";
import { McpKeepWarm } from "../src/keep-warm.js";
import { boolVar, resourcesOf, statements, stringVar, synth } from "./helpers.js";

const FN = "arn:aws:lambda:eu-west-1:123456789012:function:mcp";

describe("McpKeepWarm", () => {
  it("one schedule, rate(5 minutes), payload {warmer, concurrency}, no retries", () => {
    const out = synth((s, context) => new McpKeepWarm(s, "kw", { name: "mcp", functionArn: FN, context }));
    expect(out).toHaveResourceWithProperties(SchedulerSchedule, {
      count: 1,
      schedule_expression: "rate(5 minutes)",
      state: "ENABLED",
      flexible_time_window: { mode: "OFF" },
      target: expect.objectContaining({
        arn: FN,
        input: '${jsonencode({"warmer" = true, "concurrency" = 1})}',
        retry_policy: expect.objectContaining({ maximum_retry_attempts: 0 }),
      }),
    });
    expect(resourcesOf(out, "aws_scheduler_schedule")[0]!.name).toBe("mcp-keep-warm-${count.index}");
  });

  it("fan-out: N schedules with concurrency N in the payload", () => {
    const out = synth(
      (s, context) =>
        new McpKeepWarm(s, "kw", {
          name: "mcp",
          functionArn: FN,
          concurrency: 3,
          scheduleExpression: "rate(3 minutes)",
          context,
        }),
    );
    expect(out).toHaveResourceWithProperties(SchedulerSchedule, {
      count: 3,
      schedule_expression: "rate(3 minutes)",
      target: expect.objectContaining({ input: '${jsonencode({"warmer" = true, "concurrency" = 3})}' }),
    });
  });

  it("role: scheduler trust limited to this account; InvokeFunction on the function and its alias only", () => {
    const out = synth(
      (s, context) =>
        new McpKeepWarm(s, "kw", {
          name: "mcp",
          functionArn: FN,
          aliasArn: `${FN}:live`,
          enabled: false,
          context,
        }),
    );
    expect(out).toHaveResourceWithProperties(IamRole, { name: "mcp-keep-warm" });
    expect(out).toHaveResourceWithProperties(SchedulerSchedule, {
      state: "DISABLED",
      target: expect.objectContaining({ arn: `${FN}:live` }),
    });
    const invoke = statements(out).find((x) => x.sid === "InvokeThisFunctionOnly")!;
    expect(invoke.actions).toEqual(["lambda:InvokeFunction"]);
    expect(invoke.resources).toBe(`\${compact(["${FN}", "${FN}:live"])}`);
    const assume = statements(out).find((x) => x.sid === "AssumeRole")!;
    expect(assume.principals).toEqual([{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }]);
    expect(assume.condition[0].variable).toBe("aws:SourceAccount");
  });

  it("async: pings are dropped after 60 s in Lambda's queue, never retried (event invoke config on the alias)", () => {
    const out = synth(
      (s, context) =>
        new McpKeepWarm(s, "kw", { name: "mcp", functionArn: FN, aliasArn: `${FN}:live`, context }),
    );
    expect(out).toHaveResourceWithProperties(LambdaFunctionEventInvokeConfig, {
      function_name: FN,
      qualifier: "live",
      maximum_retry_attempts: 0,
      maximum_event_age_in_seconds: 60,
    });
    // Without an alias it configures the unqualified function (what the pings then invoke).
    const bare = synth((s, context) => new McpKeepWarm(s, "kw", { name: "mcp", functionArn: FN, context }));
    expect(resourcesOf(bare, "aws_lambda_function_event_invoke_config")[0]).not.toHaveProperty("qualifier");
    const off = synth(
      (s, context) => new McpKeepWarm(s, "kw", { name: "mcp", functionArn: FN, asyncConfig: false, context }),
    );
    expect(off).not.toHaveResource(LambdaFunctionEventInvokeConfig);
  });

  it("async at plan time: the alias name from the ARN's 8th field; counted on its own switch", () => {
    const out = synth(
      (s, context) =>
        new McpKeepWarm(s, "kw", {
          name: "mcp",
          functionArn: FN,
          aliasArn: stringVar(s, "alias"),
          asyncConfig: boolVar(s, "async", true),
          kmsKeyArn: stringVar(s, "kms"),
          context,
        }),
    );
    const config = resourcesOf(out, "aws_lambda_function_event_invoke_config")[0]!;
    expect(config.count).toBe("${var.async ? 1 : 0}");
    expect(config.qualifier).toBe(
      '${(length(compact([var.alias])) >= 1) ? element(split(":", var.alias), 7) : null}',
    );
    // CKV_AWS_297: a customer managed key for the schedules, when given.
    expect(resourcesOf(out, "aws_scheduler_schedule")[0]!.kms_key_arn).toBe(
      "${(length(compact([var.kms])) >= 1) ? var.kms : null}",
    );
  });
});
