import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing } from "cdktf";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule/index.js";
import {
  driftedFiles,
  moduleDirOf,
  moduleJson,
  readmeTemplateOf,
  renderModule,
} from "@jupyter-mcp/constructs/module-writer";
import { checkInterface, checkPolicies } from "@jupyter-mcp/constructs/policy";
import {
  consoleEval,
  evaluateAllExpressions,
  evaluatePreconditions,
  requiringTerraform,
} from "@jupyter-mcp/constructs/terraform-console";
import { checkExamples, examplesUsing } from "@jupyter-mcp/constructs/examples";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildApp, MODULE_NAME } from "../src/stack.js";

const FN = "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp";
const json = moduleJson(buildApp().stack);
const synthesized = Testing.synth(buildApp().stack);
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));

describe(`modules/${MODULE_NAME}`, () => {
  it("is up to date with the app (drift check: run `pnpm synth` and commit when this fails)", async () => {
    const files = await renderModule(buildApp().stack, {
      name: MODULE_NAME,
      readmeTemplate: await readmeTemplateOf(import.meta.url),
    });
    expect(await driftedFiles(moduleDirOf(import.meta.url, MODULE_NAME), files)).toEqual([]);
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
    ]) {
      expect({ values, ok: consoleEval(json, ["true"], values).ok }).toEqual({ values, ok: false });
    }
  });
  it("has examples, which use only its inputs and outputs and pass every required input", () => {
    const modulesDir = join(moduleDirOf(import.meta.url, MODULE_NAME), "..");
    expect(examplesUsing(modulesDir, MODULE_NAME).length).toBeGreaterThan(0);
    expect(checkExamples(modulesDir, MODULE_NAME)).toEqual([]);
  });

  withTerraform("examples are in canonical format (terraform fmt -check)", () => {
    const r = spawnSync("terraform", ["fmt", "-check", "-recursive", "-no-color", "examples"], {
      cwd: moduleDirOf(import.meta.url, MODULE_NAME),
      encoding: "utf8",
    });
    expect({ status: r.status, files: r.stdout.trim() }).toEqual({ status: 0, files: "" });
  });
  withTerraform("every expression of the module evaluates, in each configuration (terraform console)", () => {
    for (const extra of [
      {},
      {
        function_alias_arn: "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp:live",
        concurrency: 3,
        enabled: false,
      },
    ]) {
      const values = {
        ...{ function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp" },
        ...extra,
      };
      const r = evaluateAllExpressions(json, values);
      expect({ values, ok: r.ok, stderr: r.ok ? "" : r.stderr }).toEqual({ values, ok: true, stderr: "" });
      expect(r.evaluated).toBeGreaterThan(0);
      for (const p of evaluatePreconditions(json, values))
        expect(p).toEqual({ address: p.address, holds: true });
    }
  });
});
