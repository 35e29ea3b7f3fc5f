import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkExamples, examplesUsing, moduleBlocks } from "../src/examples.js";

const SRC = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/thing?ref=v0.1.0";

describe("example checks", () => {
  it("reads module blocks: source and top-level arguments only", () => {
    const hcl = `module "a" {\n  source = "${SRC}"\n  name   = "x"\n  tags = {\n    nested = "no"\n  }\n}\n`;
    expect(moduleBlocks(hcl)).toEqual([{ label: "a", source: SRC, args: ["source", "name", "tags"] }]);
  });

  it("finds unknown inputs, missing required inputs, unknown outputs and foreign sources", () => {
    const dir = mkdtempSync(join(tmpdir(), "examples-"));
    try {
      mkdirSync(join(dir, "thing", "examples", "bad"), { recursive: true });
      writeFileSync(
        join(dir, "thing", "variables.tf"),
        'variable "name" {\n  type = string\n}\n\nvariable "size" {\n  type    = number\n  default = 1\n}\n',
      );
      writeFileSync(join(dir, "thing", "outputs.tf"), 'output "url" {\n  value = "x"\n}\n');
      writeFileSync(join(dir, "thing", "versions.tf"), 'terraform {\n  required_version = ">= 1.11.0"\n}\n');
      writeFileSync(
        join(dir, "thing", "examples", "bad", "main.tf"),
        [
          `terraform {\n  required_version = ">= 1.5.0"\n}\n`,
          `module "t" {\n  source = "${SRC}"\n  sise   = 2\n}\n`,
          `module "o" {\n  source = "git::https://example.com/other.git"\n}\n`,
          `output "u" {\n  value = module.t.endpoint\n}\n`,
        ].join("\n"),
      );
      expect(examplesUsing(dir, "thing")).toEqual(["modules/thing/examples/bad"]);
      expect(checkExamples(dir, "thing").map((p) => p.message)).toEqual([
        `required_version ">= 1.5.0" differs from thing's ">= 1.11.0"`,
        'module "t": no input "sise" in thing',
        'module "t": required input "name" missing',
        "module.t.endpoint: no such output in thing",
        'module "o": unexpected source git::https://example.com/other.git',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
