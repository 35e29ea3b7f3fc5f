import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TerraformStack } from "cdktf";
import { checkExamples, examplesUsing } from "./examples.js";
import { driftedFiles, moduleDirOf, moduleJson, readmeTemplateOf, renderModule } from "./module-writer.js";
import { undocumentedSkips } from "./policy.js";
import {
  consoleEval,
  evaluateAllExpressions,
  evaluatePreconditions,
  requiringTerraform,
} from "./terraform-console.js";

export interface ModuleContract {
  /** The module's directory name under modules/. */
  name: string;
  /** The test file's import.meta.url: locates the app and its module. */
  testUrl: string;
  /** Builds the app's stack afresh. */
  build: () => TerraformStack;
  /** Input sets under which every expression must evaluate and every precondition hold. */
  configurations: Record<string, unknown>[];
}

/**
 * The checks every module must pass, registered as jest tests in the calling describe block: no
 * drift from the app, examples that use it correctly and are formatted, and every expression
 * evaluating under each configuration. Each app's test file adds what is specific to its module.
 */
export function describeModuleContract(contract: ModuleContract): void {
  const moduleDir = moduleDirOf(contract.testUrl, contract.name);
  const withTerraform = (title: string, fn: () => void) => it(title, requiringTerraform(fn));

  it("is up to date with the app (drift check: run `pnpm synth` and commit when this fails)", async () => {
    const files = await renderModule(contract.build(), {
      name: contract.name,
      readmeTemplate: await readmeTemplateOf(contract.testUrl),
    });
    expect(await driftedFiles(moduleDir, files)).toEqual([]);
  });

  it("explains in its README every Checkov rule it deliberately skips (DOCUMENTED_SKIPS)", () => {
    const json = moduleJson(contract.build());
    expect(undocumentedSkips(json, readFileSync(join(moduleDir, "README.md"), "utf8"))).toEqual([]);
  });

  it("has examples, which use only its inputs and outputs and pass every required input", () => {
    const modulesDir = join(moduleDir, "..");
    expect(examplesUsing(modulesDir, contract.name).length).toBeGreaterThan(0);
    expect(checkExamples(modulesDir, contract.name)).toEqual([]);
  });

  withTerraform("examples are in canonical format (terraform fmt -check)", () => {
    const r = spawnSync("terraform", ["fmt", "-check", "-recursive", "-no-color", "examples"], {
      cwd: moduleDir,
      encoding: "utf8",
    });
    expect({ status: r.status, files: r.stdout.trim() }).toEqual({ status: 0, files: "" });
  });

  withTerraform("every expression of the module evaluates, in each configuration (terraform console)", () => {
    const json = moduleJson(contract.build());
    for (const values of contract.configurations) {
      const r = evaluateAllExpressions(json, values);
      expect({ values, ok: r.ok, stderr: r.ok ? "" : r.stderr }).toEqual({ values, ok: true, stderr: "" });
      expect(r.evaluated).toBeGreaterThan(0);
      for (const p of evaluatePreconditions(json, values))
        expect(p).toEqual({ address: p.address, holds: true });
    }
  });
}

/** One case of expectConsoleCases: the variables' values, and what each expression yields under them. */
export type ConsoleCase = [values: Record<string, unknown>, expected: unknown[]];

/**
 * Evaluates `expressions` with `terraform console` under each case's values (over `required`, the
 * module's required inputs) and expects each case's results; a failure names the case's values.
 */
export function expectConsoleCases(
  json: Record<string, unknown>,
  expressions: string[],
  cases: ConsoleCase[],
  required: Record<string, unknown> = {},
): void {
  for (const [values, expected] of cases) {
    const r = consoleEval(json, expressions, { ...required, ...values });
    expect({ values, ok: r.ok, result: r.values, stderr: r.ok ? "" : r.stderr }).toEqual({
      values,
      ok: true,
      result: expected,
      stderr: "",
    });
  }
}

/**
 * The session table as a server module creates it (McpSessionTable): counted on the workspace's
 * local, named after the module's `nameVariable`, on demand, TTL, encrypted, PITR, protected, tagged.
 */
export function sessionTableProperties(nameVariable: string): Record<string, unknown> {
  return {
    count: "${local.workspace_sessions_create_table ? 1 : 0}",
    name: `\${var.${nameVariable}}-sessions`,
    billing_mode: "PAY_PER_REQUEST",
    hash_key: "pk",
    attribute: [{ name: "pk", type: "S" }],
    ttl: { attribute_name: "expiresAt", enabled: true },
    server_side_encryption: expect.objectContaining({ enabled: true }),
    point_in_time_recovery: { enabled: true },
    deletion_protection_enabled: "${var.session_table_deletion_protection_enabled}",
    tags: "${var.tags}",
  };
}
