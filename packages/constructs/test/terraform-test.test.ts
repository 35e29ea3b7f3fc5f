/**
 * `terraform test` (plan runs with `mock_provider "aws"`) over the committed modules, where the
 * provider mirror's schema can check them (see test/tftest/*.tftest.hcl for which, and why not the
 * others). Fails, saying how to get one, without terraform or the mirror.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PLUGIN_DIR, mirroredProviders, terraformTestWithMirror } from "../src/hcl/terraform-cli.js";
import { requiringTerraform } from "../src/terraform-console.js";

const here = dirname(fileURLToPath(import.meta.url));
const MODULES = join(here, "..", "..", "..", "modules");
const TESTS = join(here, "tftest");
const PLUGIN_DIR = process.env.TF_PLUGIN_DIR || DEFAULT_PLUGIN_DIR;

function testsOf(module: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(TESTS)
      .filter((f) => f.startsWith(`${module}.`) && f.endsWith(".tftest.hcl"))
      .map((f) => [f, readFileSync(join(TESTS, f), "utf8")]),
  );
}

describe("terraform test with a mocked provider", () => {
  it(
    "keep-warm: one schedule per environment, the alias when given, no async retries, a qualified function_arn refused",
    requiringTerraform(() => {
      if (!mirroredProviders(PLUGIN_DIR).has("hashicorp/aws"))
        throw new Error(
          `terraform test needs hashicorp/aws in a filesystem mirror and ${PLUGIN_DIR} holds none: set TF_PLUGIN_DIR (\`terraform providers mirror DIR\`).`,
        );
      const tests = testsOf("keep-warm");
      expect(Object.keys(tests)).toEqual(["keep-warm.tftest.hcl"]);
      const r = terraformTestWithMirror(join(MODULES, "keep-warm"), tests, PLUGIN_DIR);
      if (r.skipped !== undefined) throw new Error(r.skipped);
      expect({ status: r.status, output: r.output }).toEqual({
        status: 0,
        output: expect.stringMatching(/Success! 3 passed, 0 failed/),
      });
    }),
    120_000,
  );

  it(
    "a failing assertion fails the run (the harness can tell)",
    requiringTerraform(() => {
      if (!mirroredProviders(PLUGIN_DIR).has("hashicorp/aws"))
        throw new Error(`no hashicorp/aws in ${PLUGIN_DIR}`);
      const broken = readFileSync(join(TESTS, "keep-warm.tftest.hcl"), "utf8").replace(
        'qualifier == "live"',
        'qualifier == "not-the-alias"',
      );
      const r = terraformTestWithMirror(
        join(MODULES, "keep-warm"),
        { "broken.tftest.hcl": broken },
        PLUGIN_DIR,
      );
      if (r.skipped !== undefined) throw new Error(r.skipped);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/the async config is the alias's/);
    }),
    120_000,
  );
});
