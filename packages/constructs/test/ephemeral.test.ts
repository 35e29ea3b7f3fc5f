import { TerraformOutput } from "cdktf";
import { EphemeralResource } from "../src/ephemeral.js";
import { boolVar, ephemeralOf, parse, synth } from "./helpers.js";

describe("EphemeralResource (cdktf 0.21 has no ephemeral blocks of its own)", () => {
  it("renders a top-level ephemeral block in Terraform JSON, with a count for a plan-time condition", () => {
    const out = synth((s) => {
      const always = new EphemeralResource(s, "always", {
        type: "aws_secretsmanager_random_password",
        arguments: { password_length: 16 },
      });
      const maybe = new EphemeralResource(s, "maybe", {
        type: "aws_secretsmanager_random_password",
        when: boolVar(s, "create", true),
        arguments: { password_length: 32, exclude_punctuation: true },
      });
      // Outputs cannot take ephemeral values; these only show the references (never applied).
      new TerraformOutput(s, "refs", {
        value: [always.attribute("random_password"), maybe.attribute("random_password")],
      });
    });
    expect(ephemeralOf(out, "aws_secretsmanager_random_password")).toEqual([
      { password_length: 16 },
      { password_length: 32, exclude_punctuation: true, count: "${var.create ? 1 : 0}" },
    ]);
    expect(parse(out).output.refs.value).toEqual([
      "${ephemeral.aws_secretsmanager_random_password.always.random_password}",
      "${one(ephemeral.aws_secretsmanager_random_password.maybe[*].random_password)}",
    ]);
  });

  it("refuses a condition that is literally false (create nothing instead)", () => {
    expect(() =>
      synth((s) => new EphemeralResource(s, "never", { type: "x_y", when: false, arguments: {} })),
    ).toThrow(/only when its condition can hold/);
  });
});
