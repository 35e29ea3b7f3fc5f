/**
 * Static checks of the module examples, for machines where `terraform validate` cannot run (it
 * needs providers): every `module` block that sources one of our modules passes only inputs the
 * module declares, passes every required input, and reads only outputs the module declares.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

export const SOURCE_PATTERN =
  /^git::https:\/\/github\.com\/[A-Za-z0-9_.-]+\/jupyter-mcp-lambda\.git\/\/modules\/([a-z-]+)\?ref=v\d+\.\d+\.\d+$/;

const META_ARGUMENTS = new Set(["source", "version", "providers", "count", "for_each", "depends_on"]);

export interface ExampleProblem {
  readonly file: string;
  readonly message: string;
}

interface ModuleBlock {
  readonly label: string;
  readonly source: string;
  readonly args: string[];
}

/** `module "label" { ... }` blocks: their source and their top-level argument names. */
export function moduleBlocks(hcl: string): ModuleBlock[] {
  const blocks: ModuleBlock[] = [];
  const re = /^module\s+"([^"]+)"\s*\{\n([\s\S]*?)^\}/gm;
  for (let m = re.exec(hcl); m; m = re.exec(hcl)) {
    const body = m[2]!;
    const args = [...body.matchAll(/^ {2}([a-z_][a-z0-9_]*)\s*=/gm)].map((a) => a[1]!);
    const source = /^ {2}source\s*=\s*"([^"]+)"/m.exec(body)?.[1] ?? "";
    blocks.push({ label: m[1]!, source, args });
  }
  return blocks;
}

/**
 * A module's inputs (and whether each has a default) and outputs, read from the variables.tf and
 * outputs.tf the module writer generates: top-level blocks at column 0, arguments at two spaces.
 */
export function moduleInterface(moduleDir: string): {
  variables: Map<string, boolean>;
  outputs: Set<string>;
} {
  const read = (file: string) => {
    const path = join(moduleDir, file);
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  };
  const variables = new Map<string, boolean>();
  for (const m of read("variables.tf").matchAll(/^variable "([^"]+)" \{\n([\s\S]*?)^\}/gm)) {
    variables.set(m[1]!, /^ {2}default\s*=/m.test(m[2]!));
  }
  const outputs = new Set([...read("outputs.tf").matchAll(/^output "([^"]+)" \{/gm)].map((m) => m[1]!));
  return { variables, outputs };
}

/** Checks every example of every module under `modulesDir` that uses `moduleName`. */
export function checkExamples(modulesDir: string, moduleName: string): ExampleProblem[] {
  const problems: ExampleProblem[] = [];
  const { variables, outputs } = moduleInterface(join(modulesDir, moduleName));
  const required = [...variables.keys()].filter((v) => !variables.get(v));
  const versionsTf = join(modulesDir, moduleName, "versions.tf");
  const moduleFloor = existsSync(versionsTf)
    ? /required_version\s*=\s*"([^"]+)"/.exec(readFileSync(versionsTf, "utf8"))?.[1]
    : undefined;
  for (const mod of readdirSync(modulesDir)) {
    const examples = join(modulesDir, mod, "examples");
    if (!existsSync(examples)) continue;
    for (const ex of readdirSync(examples)) {
      const file = join(examples, ex, "main.tf");
      if (!existsSync(file)) continue;
      const hcl = readFileSync(file, "utf8");
      const rel = `modules/${mod}/examples/${ex}/main.tf`;
      for (const block of moduleBlocks(hcl)) {
        const m = SOURCE_PATTERN.exec(block.source);
        if (!m) {
          problems.push({ file: rel, message: `module "${block.label}": unexpected source ${block.source}` });
          continue;
        }
        if (m[1] !== moduleName) continue;
        // An example's own floor below the module's would let `terraform init` pick a Terraform
        // that cannot read the module (write-only arguments need 1.11).
        const floor = /required_version\s*=\s*"([^"]+)"/.exec(hcl)?.[1];
        if (floor !== undefined && floor !== moduleFloor) {
          problems.push({
            file: rel,
            message: `required_version "${floor}" differs from ${moduleName}'s "${moduleFloor ?? "(none)"}"`,
          });
        }
        for (const arg of block.args) {
          if (!META_ARGUMENTS.has(arg) && !variables.has(arg)) {
            problems.push({
              file: rel,
              message: `module "${block.label}": no input "${arg}" in ${moduleName}`,
            });
          }
        }
        for (const req of required) {
          if (!block.args.includes(req)) {
            problems.push({ file: rel, message: `module "${block.label}": required input "${req}" missing` });
          }
        }
        for (const used of hcl.matchAll(new RegExp(`module\\.${block.label}\\.([a-z0-9_]+)`, "g"))) {
          if (!outputs.has(used[1]!)) {
            problems.push({
              file: rel,
              message: `module.${block.label}.${used[1]}: no such output in ${moduleName}`,
            });
          }
        }
      }
    }
  }
  return problems;
}

/** Examples that use `moduleName` (so a module without any is noticed). */
export function examplesUsing(modulesDir: string, moduleName: string): string[] {
  const found: string[] = [];
  for (const mod of readdirSync(modulesDir)) {
    const examples = join(modulesDir, mod, "examples");
    if (!existsSync(examples)) continue;
    for (const ex of readdirSync(examples)) {
      const file = join(examples, ex, "main.tf");
      if (!existsSync(file)) continue;
      if (
        moduleBlocks(readFileSync(file, "utf8")).some(
          (b) => SOURCE_PATTERN.exec(b.source)?.[1] === moduleName,
        )
      ) {
        found.push(`modules/${mod}/examples/${ex}`);
      }
    }
  }
  return found;
}
