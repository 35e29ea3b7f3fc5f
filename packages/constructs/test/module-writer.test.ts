import { Testing, TerraformOutput, TerraformVariable } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { ModuleStack, rule } from "../src/module-stack.js";
import { inputsTable, moduleJson, renderModule, sortKeys } from "../src/module-writer.js";

function stack(): ModuleStack {
  const s = new ModuleStack(Testing.app(), "m");
  new AwsProvider(s, "aws", { region: "eu-west-1" });
  const name = s.variable("log_group_name", {
    type: "string",
    description: "Name | with a pipe.",
    validation: [rule("length(var.log_group_name) > 0", "must not be empty")],
  });
  s.variable("optional_number", { type: "number", default: null, description: "Unset by default." });
  const lg = new CloudwatchLogGroup(s, "logs", { name: name.stringValue, retentionInDays: 7 });
  s.output("log_group_arn", { value: lg.arn, description: "ARN." });
  return s;
}

describe("module writer", () => {
  it("strips provider and backend, pins constraints, keeps readable names", () => {
    const json = moduleJson(stack());
    expect(json.provider).toBeUndefined();
    expect(json.terraform).toEqual({
      required_providers: { aws: { source: "hashicorp/aws", version: ">= 6.29" } },
      required_version: ">= 1.5.0",
    });
    expect(Object.keys(json.variable as object)).toEqual(["log_group_name", "optional_number"]);
    expect(json.variable).toMatchObject({
      log_group_name: { validation: [{ condition: "${length(var.log_group_name) > 0}" }] },
      optional_number: { default: null, nullable: true },
    });
    expect(Object.keys(json.output as object)).toEqual(["log_group_arn"]);
    expect(Object.keys((json.resource as Record<string, object>).aws_cloudwatch_log_group!)).toEqual([
      "logs",
    ]);
  });

  it("is deterministic and free of absolute paths and timestamps", async () => {
    const a = await renderModule(stack(), {
      name: "m",
      readmeTemplate: "# M\n\n<!-- INPUTS -->\n\n<!-- OUTPUTS -->\n",
    });
    const b = await renderModule(stack(), {
      name: "m",
      readmeTemplate: "# M\n\n<!-- INPUTS -->\n\n<!-- OUTPUTS -->\n",
    });
    expect(a).toEqual(b);
    expect(a["main.tf.json"]).not.toContain(process.cwd());
    expect(a["main.tf.json"]).not.toMatch(/20\d\d-\d\d-\d\dT/);
    const readme = a["README.md"]!.replace(/ +/g, " ");
    expect(readme).toContain("| `log_group_name` | Name \\| with a pipe. | `string` | n/a | yes |");
    expect(readme).toContain("| `log_group_arn` | ARN. |");
  });

  it("tables list every input with type, default and whether it is required", () => {
    const table = inputsTable(moduleJson(stack()));
    expect(table.split("\n")).toHaveLength(4);
    expect(table).toContain("| `optional_number` | Unset by default. | `number` | `null` | no |");
  });

  it("sorts keys by code point", () => {
    expect(Object.keys(sortKeys({ b: 1, a: { d: 1, c: 2 }, B: 0 }) as object)).toEqual(["B", "a", "b"]);
  });

  it("plain TerraformVariable/Output constructs also get readable ids", () => {
    const s = new ModuleStack(Testing.app(), "m");
    new AwsProvider(s, "aws");
    const v = new TerraformVariable(s, "some-thing", { type: "string", description: "x" });
    new TerraformOutput(s, "out", { value: v.stringValue, description: "y" });
    const json = moduleJson(s);
    expect(Object.keys(json.variable as object)).toEqual(["some_thing"]);
  });
});
