import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { moduleHclFiles } from "../src/hcl/blocks.js";
import { print } from "../src/hcl/format.js";
import { lexExpression } from "../src/hcl/lexer.js";
import { parseExpression } from "../src/hcl/parser.js";
import { terraformFmt } from "../src/hcl/terraform-cli.js";
import { MAX_LINE } from "../src/hcl/limits.js";
import { valueDoc, type Json, type JsonObject } from "../src/hcl/values.js";
import { requiringTerraform } from "../src/terraform-console.js";

const HEADER = "# test";

function hcl(config: JsonObject): string {
  const files = moduleHclFiles(config, HEADER);
  return Object.values(files)
    .filter((f) => f !== `${HEADER}\n`)
    .map((f) => f.slice(HEADER.length + 2))
    .join("\n");
}

/** The expression a JSON value prints as, in an attribute's place. */
function expr(v: Json): string {
  return print(valueDoc(v, "template"), 120);
}

/** `terraform console` on `expression` in a folder holding `files`; the JSON it prints. */
function evaluate(files: Record<string, string>, expression: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), "hcl-printer-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync("terraform", ["console", "-no-color"], {
      cwd: dir,
      input: `jsonencode(${expression})\n`,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith('"'));
    if (r.status !== 0 || line === undefined)
      throw new Error(`terraform console failed:\n${r.stderr}${r.stdout}`);
    // The console prints an HCL string: JSON's escapes, template sequences doubled, DEL as \x7f.
    const json = line.replace(/([$%])\1\{/g, "$1{").replace(/\\x7f/g, "\\u007f");
    return JSON.parse(JSON.parse(json) as string);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Evaluates the same expression over the JSON configuration and over its HCL: they must agree. */
function expectSameValue(config: JsonObject, expression: string): unknown {
  const fromJson = evaluate({ "main.tf.json": JSON.stringify(config) }, expression);
  const files: Record<string, string> = { ...moduleHclFiles(config, HEADER) };
  expect({ expression, value: evaluate(files, expression) }).toEqual({ expression, value: fromJson });
  return fromJson;
}

function expectCanonical(text: string): void {
  const r = terraformFmt(text);
  expect({ ok: r.ok, stderr: r.ok ? "" : r.stderr }).toEqual({ ok: true, stderr: "" });
  expect(r.formatted).toBe(text);
}

const TRICKY_LOCALS: JsonObject = {
  interpolation_only: "${var.n + 1}",
  mixed: "n=${var.n}!",
  escaped_sequences: "$${var.n} and %%{ if } and $$ and 100%",
  quotes_and_backslashes: 'say "hi" \\ back\\slash \\n',
  control_characters: "a\nb\tc\r\u0001\u007f",
  unicode: "ü € 😀",
  nested_quotes: '${replace("a\\"b", "\\"", "\'")}',
  directive: "%{ if var.flag }yes%{ else }no%{ endif }",
  strip_markers: "a ${~ var.s ~} b",
  numbers: [0, -5, 1.5, 1e21, 0.000001],
  booleans_and_null: [true, false, null],
  nested: {
    a: [1, { b: null }],
    "c d": { "e-f": true },
    true: 1,
    "": 2,
    for: 3,
    "aws:SourceArn": "x",
    "1abc": 4,
    'quote"key': 5,
  },
  template_key: { "${var.s}": 1, "k-${var.s}": 2 },
  long_literal: "word ".repeat(70).trim(),
  long_expression:
    "${merge({" +
    Array.from({ length: 8 }, (_, i) => `"KEY_NUMBER_${i}" = var.flag ? "value-${i}" : null`).join(", ") +
    '}, var.flag ? {"EXTRA" = var.s} : {})}',
  long_conditional:
    '${var.flag ? var.n > 1000000 ? "a-very-long-string-value-to-push-the-width" : "another-long-string-value" : length(var.s) > 100 ? "long" : "short"}',
  for_tuple: "${[for x in [1, 2, 3] : x * 2 if x > 1]}",
  for_object: "${{for k, v in {a = 1, b = 2} : v => k...}}",
  splat_and_index: '${([{a = 1}][*].a)[0] + {x = [5]}["x"][0]}',
  ellipsis: "${max([1, 2]...)}",
  unary: "${[-var.n, !var.flag]}",
  object_with_newlines: "${{\n  a = 1\n  b = 2\n}}",
};

const VARIABLES: JsonObject = {
  n: { type: "number", default: 3 },
  s: { type: "string", default: "  spaced  " },
  flag: { type: "bool", default: true },
  literal_default: { type: "string", default: 'a ${b} %{c} "q" \\ \n' },
  object_default: {
    type: 'object({ a = optional(string, "x"), b = list(map(number)), c = bool })',
    default: { b: [{ "k k": 1, "${x}": 2 }], c: false },
  },
};

describe("HCL printer", () => {
  it("unquotes interpolation-only strings and keeps mixed templates quoted", () => {
    expect(expr("${var.x}")).toBe("var.x");
    expect(expr("${aws_s3_bucket.b[*].arn}")).toBe("aws_s3_bucket.b[*].arn");
    expect(expr("arn:${var.x}:y")).toBe('"arn:${var.x}:y"');
    expect(expr("${var.a}${var.b}")).toBe('"${var.a}${var.b}"');
    expect(expr("${~ var.x ~}")).toBe('"${~var.x~}"');
    expect(expr('${contains(["a", "b"], var.x)}')).toBe('contains(["a", "b"], var.x)');
  });

  it("escapes JSON string content for native quoted strings, keeping $${ and %%{ as they are", () => {
    expect(expr('say "hi" \\ now')).toBe('"say \\"hi\\" \\\\ now"');
    expect(expr("a\nb\tc\u0001")).toBe('"a\\nb\\tc\\u0001"');
    expect(expr("$${var.x} %%{ if }")).toBe('"$${var.x} %%{ if }"');
    expect(expr("ü")).toBe('"ü"');
  });

  it("escapes ${ and %{ in strings Terraform reads as literals (variable defaults)", () => {
    expect(print(valueDoc("a ${b} %{c} $", "literal"), 120)).toBe('"a $${b} %%{c} $"');
  });

  it("prints numbers, booleans, null, lists and maps, quoting keys that are not identifiers", () => {
    expect(expr([0, -5, 1.5, true, false, null])).toBe("[0, -5, 1.5, true, false, null]");
    expect(expr({ a: { b: [] }, "c d": {}, true: 1, "": 2, "x-y": 3 })).toBe(
      '{ a = { b = [] }, "c d" = {}, "true" = 1, "" = 2, x-y = 3 }',
    );
    expect(expr({ "${var.k}": 1 })).toBe("{ (var.k) = 1 }");
  });

  it("breaks long expressions inside brackets, one item per line, and parenthesizes broken conditionals", () => {
    const text = expr(TRICKY_LOCALS.long_expression!);
    expect(text.split("\n").slice(0, 2)).toEqual(["merge(", "  {"]);
    expect(text).toContain('\n    "KEY_NUMBER_0" = var.flag ? "value-0" : null\n');
    expect(text).toContain('\n  var.flag ? { "EXTRA" = var.s } : {},\n)');
    expect(Math.max(...text.split("\n").map((l) => l.length))).toBeLessThanOrEqual(120);
    const cond = expr(TRICKY_LOCALS.long_conditional!);
    expect(cond.split("\n")[0]).toBe("(");
    expect(cond.split("\n").slice(-1)[0]).toBe(")");
  });

  it("splits literals longer than the line limit into join() of pieces, and only those", () => {
    const long = expr(TRICKY_LOCALS.long_literal!);
    expect(long.split("\n")[0]).toBe('join("", [');
    expect(expr("word ".repeat(30).trim())).toBe(`"${"word ".repeat(30).trim()}"`);
  });

  it("keeps every token of an expression, changing only whitespace", () => {
    for (const src of ["a ? b : c ? d : e", "{for k, v in x : k => v... if v != null}", "f(a, [b, c]...)"]) {
      const printed = print(valueDoc(`\${${src}}`, "template"), 120);
      const tokens = (s: string) =>
        lexExpression(s)
          .filter((t) => t.type !== "Newline")
          .map((t) => t.text);
      expect(tokens(printed)).toEqual(tokens(src));
      expect(() => parseExpression(lexExpression(printed))).not.toThrow();
    }
  });

  it(
    "prints tricky values in canonical form (terraform fmt)",
    requiringTerraform(() => {
      expectCanonical(hcl({ variable: VARIABLES, locals: TRICKY_LOCALS }));
    }),
  );

  it(
    "prints values Terraform evaluates the same as the JSON they come from (terraform console)",
    requiringTerraform(() => {
      const names = Object.keys(TRICKY_LOCALS);
      const all = `{${names.map((n) => `${n} = local.${n}`).join(", ")}}`;
      const vars = `[var.literal_default, var.object_default, var.s]`;
      const config = { variable: VARIABLES, locals: TRICKY_LOCALS };
      const value = expectSameValue(config, all) as Record<string, unknown>;
      expect(value.escaped_sequences).toBe("${var.n} and %{ if } and $$ and 100%");
      expect(value.quotes_and_backslashes).toBe('say "hi" \\ back\\slash \\n');
      expect(value.long_literal).toBe(TRICKY_LOCALS.long_literal);
      const [literal] = expectSameValue(config, vars) as string[];
      expect(literal).toBe('a ${b} %{c} "q" \\ \n');
    }),
  );
});

describe("HCL blocks", () => {
  const lambda: JsonObject = {
    resource: {
      aws_lambda_function: {
        fn: {
          count: "${var.on ? 1 : 0}",
          depends_on: ["aws_iam_role.r"],
          environment: { variables: { A: "1", B: "${var.b}" } },
          function_name: "f",
          lifecycle: {
            ignore_changes: ["tags", "environment[0].variables"],
            precondition: [{ condition: '${var.b != ""}', error_message: "b must be set." }],
          },
          tags: { Name: "x", "aws:tag": "y" },
          tracing_config: { mode: "Active" },
        },
      },
    },
  };

  it("tells nested blocks from map attributes by the provider schema, meta-arguments first, lifecycle last", () => {
    expect(hcl(lambda)).toBe(
      [
        'resource "aws_lambda_function" "fn" {',
        "  count = var.on ? 1 : 0",
        "",
        '  function_name = "f"',
        '  tags          = { Name = "x", "aws:tag" = "y" }',
        "",
        "  environment {",
        '    variables = { A = "1", B = var.b }',
        "  }",
        "",
        "  tracing_config {",
        '    mode = "Active"',
        "  }",
        "",
        "  depends_on = [aws_iam_role.r]",
        "",
        "  lifecycle {",
        "    ignore_changes = [tags, environment[0].variables]",
        "",
        "    precondition {",
        '      condition     = var.b != ""',
        '      error_message = "b must be set."',
        "    }",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("without a schema: arrays of objects are repeated blocks, objects are attributes", () => {
    const text = hcl({
      resource: { thing_widget: { w: { rule: [{ a: 1 }, { a: 2 }], settings: { a: 1 }, empty: [] } } },
    });
    expect(text).toContain("  rule {\n    a = 1\n  }\n\n  rule {\n    a = 2\n  }\n");
    expect(text).toContain("  settings = { a = 1 }\n");
    expect(text).toContain("  empty    = []\n");
  });

  it("prints dynamic blocks, provisioners with connection, data sources without arguments and ephemeral resources", () => {
    const text = hcl({
      data: { aws_region: { here: {} } },
      resource: {
        aws_security_group: {
          sg: {
            dynamic: {
              ingress: {
                for_each: "${var.ports}",
                iterator: "port",
                content: { from_port: "${port.value}" },
              },
            },
          },
        },
        terraform_data: {
          t: {
            provisioner: [
              {
                "local-exec": {
                  command: "echo ${self.id}",
                  when: "destroy",
                  connection: { host: "h", type: "ssh" },
                },
              },
            ],
          },
        },
      },
      ephemeral: { random_password: { p: { length: 32 } } },
    });
    expect(text).toContain('data "aws_region" "here" {}\n');
    expect(text).toContain(
      '  dynamic "ingress" {\n    for_each = var.ports\n    iterator = port\n\n    content {\n      from_port = port.value\n    }\n  }\n',
    );
    expect(text).toContain(
      '  provisioner "local-exec" {\n    when    = destroy\n    command = "echo ${self.id}"\n\n    connection {',
    );
    expect(text).toContain('ephemeral "random_password" "p" {\n  length = 32\n}\n');
  });

  it("prints variables with validation blocks and outputs with preconditions, prose past the limit as a heredoc", () => {
    const prose = "A long description, ${not} interpolated. ".repeat(8).trim();
    const files = moduleHclFiles(
      {
        variable: {
          v: {
            description: prose,
            type: "list(string)",
            default: [],
            validation: [{ condition: "${length(var.v) < 3}", error_message: "At most two." }],
          },
        },
        output: {
          o: {
            description: "Out.",
            value: "${var.v}",
            sensitive: true,
            precondition: [{ condition: "${true}", error_message: "Never." }],
          },
        },
      },
      HEADER,
    );
    expect(files["variables.tf"]).toContain(
      'variable "v" {\n  description = <<-EOT\n    A long description, $${not} interpolated.',
    );
    expect(files["variables.tf"]).toMatch(
      /\n {2}EOT\n {2}type {8}= list\(string\)\n {2}default {5}= \[\]\n\n {2}validation \{/,
    );
    const heredoc = /<<-EOT\n([\s\S]*?)\n {2}EOT/.exec(files["variables.tf"])![1]!;
    expect(
      heredoc
        .split("\n")
        .map((l) => l.trim())
        .join(" "),
    ).toBe(prose.replace(/\$\{/g, () => "$${"));
    expect(files["outputs.tf"]).toContain(
      'output "o" {\n  description = "Out."\n  value       = var.v\n  sensitive   = true\n\n  precondition {\n    condition     = true\n',
    );
    for (const text of Object.values(files)) {
      expect(Math.max(...text.split("\n").map((l) => l.length))).toBeLessThanOrEqual(MAX_LINE);
    }
  });

  it("refuses what it cannot print faithfully", () => {
    expect(() => hcl({ provider: { aws: {} } })).toThrow(/unsupported top-level blocks: provider/);
    expect(() => hcl({ variable: { v: { type: "string", sensitivity: true } } })).toThrow(
      /unknown argument sensitivity/,
    );
    expect(() => hcl({ resource: { aws_lambda_function: { f: { environment: "${var.env}" } } } })).toThrow(
      /environment: a block must be an object/,
    );
    expect(() => hcl({ locals: { x: "${var.a # comment\n}" } })).toThrow(/comments/);
    expect(() => hcl({ locals: { "bad name": 1 } })).toThrow(/not an HCL identifier/);
  });

  it(
    "prints blocks in canonical form (terraform fmt)",
    requiringTerraform(() => {
      expectCanonical(hcl(lambda));
      expectCanonical(
        hcl({
          resource: {
            thing_widget: { w: { rule: [{ a: 1 }], dynamic: { x: { for_each: "${[1]}", content: {} } } } },
          },
        }),
      );
    }),
  );
});
