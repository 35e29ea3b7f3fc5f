import {
  consoleEval,
  evaluateAllExpressions,
  evaluatePreconditions,
  moduleExpressions,
  requiringTerraform,
} from "../src/terraform-console.js";

const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));

const json = {
  variable: { on: { type: "bool", default: false }, name: { type: "string", default: "" } },
  locals: { label: '${var.name == "" ? null : var.name}' },
  resource: {
    aws_thing: {
      always: { name: "x-${aws_other.o.id}", tags: { n: "${one(aws_maybe.m[*].arn)}" } },
      maybe: {
        count: "${var.on ? 1 : 0}",
        name: '${trimprefix(local.label, "/")}',
        lifecycle: { precondition: [{ condition: '${var.name != ""}', error_message: "name" }] },
      },
    },
  },
  output: { names: { value: "${aws_thing.always[*].name}" } },
};

describe("terraform console helpers", () => {
  it("collects the expressions of resources, data sources and outputs", () => {
    expect(Object.keys(moduleExpressions(json))).toEqual([
      "aws_thing.always.name",
      "aws_thing.always.tags.n",
      "aws_thing.maybe.count",
      "aws_thing.maybe.name",
      "aws_thing.maybe.lifecycle.precondition[0].condition",
      "output.names.value",
    ]);
  });

  withTerraform("evaluates everything, skipping blocks whose count is 0", () => {
    expect(evaluateAllExpressions(json, {}).ok).toBe(true);
    expect(evaluateAllExpressions(json, { on: true, name: "/n" }).ok).toBe(true);
  });

  withTerraform("reports an expression that fails, by its address", () => {
    const r = evaluateAllExpressions(json, { on: true });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain("aws_thing.maybe.name");
  });

  withTerraform("evaluates preconditions of the blocks that exist", () => {
    expect(evaluatePreconditions(json, {})).toEqual([]);
    expect(evaluatePreconditions(json, { on: true })).toEqual([
      { address: "aws_thing.maybe.lifecycle.precondition[0]", holds: false },
    ]);
  });

  withTerraform("refuses values that fail a variable's validation", () => {
    const v = {
      variable: { n: { type: "number", validation: [{ condition: "${var.n > 1}", error_message: "n" }] } },
    };
    expect(consoleEval(v, ["var.n"], { n: 2 })).toMatchObject({ ok: true, values: [2] });
    expect(consoleEval(v, ["var.n"], { n: 0 }).ok).toBe(false);
  });
});
