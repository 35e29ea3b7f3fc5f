import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing } from "cdktf";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule/index.js";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import { checkInterface, checkPolicies } from "@jupyter-mcp/constructs/policy";
import { consoleEval, requiringTerraform, withLocals } from "@jupyter-mcp/constructs/terraform-console";
import { describeModuleContract } from "@jupyter-mcp/constructs/module-suite";
import { buildApp, MODULE_NAME } from "../src/stack.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const FN = "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp";
const json = moduleJson(buildApp().stack);
const synthesized = Testing.synth(buildApp().stack);
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));

describe(`modules/${MODULE_NAME}`, () => {
  describeModuleContract({
    name: MODULE_NAME,
    testUrl: import.meta.url,
    build: () => buildApp().stack,
    configurations: [
      {},
      {
        function_alias_arn: "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp:live",
        concurrency: 3,
        enabled: false,
        kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k",
      },
      { create_async_event_config: false },
    ].map((extra) => ({
      ...{ function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp" },
      ...extra,
    })),
  });

  it("has no provider or backend configuration", () => {
    expect(json.provider).toBeUndefined();
    expect((json.terraform as { backend?: unknown }).backend).toBeUndefined();
  });

  it("every variable has a type and a description; policy checks pass", () => {
    expect(checkInterface(json)).toEqual([]);
    expect(checkPolicies(json)).toEqual([]);
  });

  it("one schedule per kept-warm environment, payload with the concurrency", () => {
    expect(synthesized).toHaveResourceWithProperties(SchedulerSchedule, {
      count: "${var.concurrency}",
      schedule_expression: "${var.schedule_expression}",
      state: '${var.enabled ? "ENABLED" : "DISABLED"}',
      target: expect.objectContaining({
        input: '${jsonencode({"warmer" = true, "concurrency" = var.concurrency})}',
      }),
    });
  });

  withTerraform("refuses invalid inputs (variable validations)", () => {
    expect(consoleEval(json, ["true"], { function_arn: FN }).ok).toBe(true);
    expect(consoleEval(json, ["true"], { function_arn: FN, function_alias_arn: `${FN}:live` }).ok).toBe(true);
    for (const values of [
      { function_arn: `${FN}:live` },
      { function_arn: FN, function_alias_arn: FN },
      { function_arn: FN, schedule_expression: "every 5 minutes" },
      { function_arn: FN, concurrency: 0 },
      { function_arn: FN, concurrency: 1.5 },
      { function_arn: FN, kms_key_arn: "alias/scheduler" },
    ]) {
      expect({ values, ok: consoleEval(json, ["true"], values).ok }).toEqual({ values, ok: false });
    }
  });

  withTerraform(
    "throttled pings are dropped: no retries, 60 s at most in Lambda's queue, on the pinged alias",
    () => {
      const config = ((json.resource as Json).aws_lambda_function_event_invoke_config as Json)
        .keep_warm_async;
      expect(config).toMatchObject({
        count: "${var.create_async_event_config ? 1 : 0}",
        function_name: "${var.function_arn}",
        maximum_retry_attempts: 0,
        maximum_event_age_in_seconds: 60,
      });
      const probe = withLocals(json, { probe_qualifier: config.qualifier });
      const qualifier = (values: Record<string, unknown>) =>
        consoleEval(probe, ["local.probe_qualifier"], { function_arn: FN, ...values }).values[0];
      expect(qualifier({})).toBeNull();
      expect(qualifier({ function_alias_arn: `${FN}:live` })).toBe("live");
      expect((json.variable as Json).function_alias_arn.default).toBeNull();
    },
  );
});
