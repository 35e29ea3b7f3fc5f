/**
 * The committed modules as HCL: the standard layout, canonical format, line length, and what the
 * provider schema can check. The 5.100 mirror under /opt/tf-plugins (or $TF_PLUGIN_DIR) is older
 * than the >= 6.29 the modules need, so arguments that only 6.x has are reported by terraform
 * validate and expected; a block printed as an attribute, or the other way round, is not.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { blockPaths, blockSchemaOf, type BlockKind } from "../src/hcl/block-schema.js";
import { MAX_LINE } from "../src/hcl/limits.js";
import {
  DEFAULT_PLUGIN_DIR,
  fmtCheck,
  isNewerSchemaOnly,
  mirroredProviders,
  validateWithMirror,
} from "../src/hcl/terraform-cli.js";
import { requiringTerraform } from "../src/terraform-console.js";

const MODULES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "modules");
const PLUGIN_DIR = process.env.TF_PLUGIN_DIR || DEFAULT_PLUGIN_DIR;
const LAYOUT = ["main.tf", "outputs.tf", "variables.tf", "versions.tf"];

const modules = readdirSync(MODULES).filter((m) => existsSync(join(MODULES, m, "versions.tf")));

function tfFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tfFiles(join(dir, e.name)) : e.name.endsWith(".tf") ? [join(dir, e.name)] : [],
  );
}

/** Wraps a test that needs the provider mirror: fails, saying how to get one, where it is missing. */
function requiringMirror(fn: () => void): () => void {
  return requiringTerraform(() => {
    if (!mirroredProviders(PLUGIN_DIR).has("hashicorp/aws")) {
      throw new Error(
        `This test validates the modules against hashicorp/aws from a filesystem mirror, and ${PLUGIN_DIR} holds none. ` +
          "Set TF_PLUGIN_DIR to one (`terraform providers mirror DIR` in a configuration that requires hashicorp/aws).",
      );
    }
    fn();
  });
}

interface SchemaBlock {
  attributes?: Record<string, unknown>;
  block_types?: Record<string, { block: SchemaBlock }>;
}

/** The mirror's provider schema (`terraform providers schema -json`). */
function mirrorSchema(): {
  resource_schemas: Record<string, { block: SchemaBlock }>;
  data_source_schemas: Record<string, { block: SchemaBlock }>;
} {
  const dir = mkdtempSync(join(tmpdir(), "tf-schema-"));
  try {
    const version = mirroredProviders(PLUGIN_DIR).get("hashicorp/aws")!;
    writeFileSync(
      join(dir, "main.tf"),
      `terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "${version}" }\n  }\n}\n`,
    );
    const env = { ...process.env, CHECKPOINT_DISABLE: "1" };
    const init = spawnSync(
      "terraform",
      ["init", `-plugin-dir=${PLUGIN_DIR}`, "-backend=false", "-no-color"],
      { cwd: dir, env, encoding: "utf8" },
    );
    if (init.status !== 0) throw new Error(init.stderr);
    const r = spawnSync("terraform", ["providers", "schema", "-json"], {
      cwd: dir,
      env,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const all = JSON.parse(r.stdout) as { provider_schemas: Record<string, never> };
    return all.provider_schemas["registry.terraform.io/hashicorp/aws"]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Block paths 5.100 has that the 6.x bindings rightly do not (removed in 6.0). */
const REMOVED_IN_6 = new Set([
  "aws_api_gateway_deployment.canary_settings",
  "aws_ecs_task_definition.inference_accelerator",
]);
/** Attributes in "attributes as blocks" mode: the schema says attribute, HCL takes blocks too. */
const ATTRIBUTES_AS_BLOCKS = new Set(["aws_security_group.ingress", "aws_security_group.egress"]);

describe("modules as HCL", () => {
  it("every module has the standard layout and no Terraform JSON", () => {
    expect(modules.length).toBeGreaterThan(0);
    for (const m of modules) {
      const files = readdirSync(join(MODULES, m));
      expect({ m, layout: LAYOUT.filter((f) => files.includes(f)) }).toEqual({ m, layout: LAYOUT });
      expect({ m, json: files.filter((f) => f.endsWith(".tf.json")) }).toEqual({ m, json: [] });
      expect(files).toContain("README.md");
      expect(files).toContain("examples");
    }
  });

  it(`no line of a module or an example is over ${MAX_LINE} characters`, () => {
    const long = tfFiles(MODULES).flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .flatMap((l, i) =>
          [...l].length > MAX_LINE ? [`${f.slice(MODULES.length + 1)}:${i + 1} (${[...l].length})`] : [],
        ),
    );
    expect(long).toEqual([]);
  });

  it("modules configure no provider and no backend (the caller does)", () => {
    for (const m of modules) {
      for (const f of LAYOUT) {
        const text = readFileSync(join(MODULES, m, f), "utf8");
        expect({
          file: `${m}/${f}`,
          provider: /^provider\s/m.test(text),
          backend: /^\s+backend\s/m.test(text),
        }).toEqual({
          file: `${m}/${f}`,
          provider: false,
          backend: false,
        });
      }
    }
  });

  it(
    "modules and examples are in canonical format (terraform fmt -check -recursive modules)",
    requiringTerraform(() => {
      expect(fmtCheck(MODULES)).toEqual({ status: 0, files: [], stderr: "" });
    }),
  );

  it(
    "the provider bindings' nested blocks agree with the mirror's provider schema, for every type the modules use",
    requiringMirror(() => {
      const schema = mirrorSchema();
      const used = new Set<string>();
      for (const m of modules)
        for (const match of readFileSync(join(MODULES, m, "main.tf"), "utf8").matchAll(
          /^(resource|data) "(aws_[a-z0-9_]+)" "/gm,
        ))
          used.add(`${match[1]}.${match[2]}`);
      const problems: string[] = [];
      for (const key of [...used].sort()) {
        const [kind, type] = key.split(".") as [BlockKind, string];
        const ours = blockSchemaOf(kind, type);
        const theirs = (kind === "resource" ? schema.resource_schemas : schema.data_source_schemas)[type]
          ?.block;
        if (!ours) problems.push(`${key}: no bindings`);
        if (!ours || !theirs) continue; // a 6.x-only type: nothing to compare with
        const paths = new Set(blockPaths(ours));
        const walk = (block: SchemaBlock, prefix: string) => {
          for (const [name, nested] of Object.entries(block.block_types ?? {})) {
            const path = prefix + name;
            if (!paths.has(path) && !REMOVED_IN_6.has(`${type}.${path}`))
              problems.push(`${key}: block ${path} missing`);
            walk(nested.block, `${path}.`);
          }
        };
        walk(theirs, "");
        for (const path of paths) {
          const parts = path.split(".");
          let block: SchemaBlock | undefined = theirs;
          for (const p of parts.slice(0, -1)) block = block?.block_types?.[p]?.block;
          const name = parts[parts.length - 1]!;
          if (block?.attributes?.[name] !== undefined && !ATTRIBUTES_AS_BLOCKS.has(`${type}.${path}`))
            problems.push(`${key}: ${path} is an attribute in the schema`);
        }
      }
      expect(problems).toEqual([]);
    }),
  );

  it(
    "terraform validate finds nothing but 6.x-only names with the mirror's provider (image: no docker provider there)",
    requiringMirror(() => {
      for (const m of modules) {
        const r = validateWithMirror(join(MODULES, m), PLUGIN_DIR);
        if (r.skipped !== undefined) {
          expect({ m, skipped: r.skipped }).toEqual({
            m,
            skipped: expect.stringMatching(/^kreuzwerker\/docker not in the mirror/),
          });
          continue;
        }
        const unexpected = r.diagnostics.filter((d) => d.severity === "error" && !isNewerSchemaOnly(d));
        expect({ m, unexpected }).toEqual({ m, unexpected: [] });
      }
    }),
    180_000,
  );
});
