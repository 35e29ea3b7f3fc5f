import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockPaths, blockSchemaOf } from "../src/hcl/block-schema.js";
import {
  DEFAULT_PLUGIN_DIR,
  isNewerSchemaOnly,
  mirroredProviders,
  validateWithMirror,
} from "../src/hcl/terraform-cli.js";
import { requiringTerraform } from "../src/terraform-console.js";

describe("block schema from the provider bindings", () => {
  it("knows nested blocks from attributes, at every depth", () => {
    const fn = blockSchemaOf("resource", "aws_lambda_function")!;
    expect(fn.blocks.has("environment")).toBe(true);
    expect(fn.blocks.has("tenancy_config")).toBe(true); // 6.x: not in the 5.100 schema
    expect(fn.blocks.has("tags")).toBe(false);
    expect(fn.blocks.get("environment")!.blocks.size).toBe(0); // variables is a map attribute
    expect(blockPaths(blockSchemaOf("data", "aws_iam_policy_document")!)).toEqual([
      "statement",
      "statement.condition",
      "statement.not_principals",
      "statement.principals",
    ]);
    expect(blockPaths(blockSchemaOf("resource", "aws_s3_bucket_lifecycle_configuration")!)).toContain(
      "rule.filter.and",
    );
  });

  it("reads the docker provider's bindings too, and knows when it has none", () => {
    expect(blockSchemaOf("resource", "docker_image")!.blocks.has("build")).toBe(true);
    expect(blockSchemaOf("resource", "random_password")).toBeUndefined();
    expect(blockSchemaOf("resource", "terraform_data")).toBeUndefined();
    expect(blockSchemaOf("resource", "aws_no_such_thing")).toBeUndefined();
  });

  it("tells a data source from the resource of the same name", () => {
    expect(blockSchemaOf("data", "aws_lambda_function")!.blocks.has("environment")).toBe(false);
    expect(blockSchemaOf("resource", "aws_lambda_function")!.blocks.has("environment")).toBe(true);
  });
});

describe("validation against the mirror", () => {
  const pluginDir = process.env.TF_PLUGIN_DIR || DEFAULT_PLUGIN_DIR;

  it(
    "counts a block written as an attribute as an error, and a 6.x-only argument as expected",
    requiringTerraform(() => {
      if (!mirroredProviders(pluginDir).has("hashicorp/aws"))
        throw new Error(`no hashicorp/aws in ${pluginDir}: set TF_PLUGIN_DIR`);
      const dir = mkdtempSync(join(tmpdir(), "hcl-validate-"));
      try {
        writeFileSync(
          join(dir, "versions.tf"),
          'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = ">= 6.29"\n    }\n  }\n}\n',
        );
        writeFileSync(
          join(dir, "main.tf"),
          [
            'resource "aws_lambda_function" "f" {',
            '  function_name = "f"',
            '  role          = "arn:aws:iam::123456789012:role/r"',
            '  image_uri     = "x"',
            '  package_type  = "Image"',
            '  environment   = { variables = { A = "1" } }',
            "}",
            'resource "aws_lambda_permission" "p" {',
            '  action                   = "lambda:InvokeFunction"',
            '  function_name            = "f"',
            '  principal                = "*"',
            "  invoked_via_function_url = true",
            "}",
            "",
          ].join("\n"),
        );
        const r = validateWithMirror(dir, pluginDir);
        if (r.skipped !== undefined) throw new Error(r.skipped);
        const errors = r.diagnostics.filter((d) => d.severity === "error");
        expect(
          errors.map((d) => [d.detail.match(/named "([a-z_]+)"/)?.[1], isNewerSchemaOnly(d)]).sort(),
        ).toEqual([
          ["environment", false],
          ["invoked_via_function_url", true],
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    60_000,
  );
});
