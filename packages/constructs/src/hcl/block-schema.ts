/**
 * Which keys of a resource's JSON are nested blocks (`environment { ... }`) rather than attributes
 * (`tags = { ... }`). cdktf's JSON writes both as objects or arrays of objects, so the printer needs
 * the provider schema. It is read from the generated provider bindings the constructs are built
 * with (@cdktf/provider-aws, @cdktf/provider-docker): their `synthesizeHclAttributes` and
 * `*ToHclTerraform` functions mark every argument with `isBlock`, from the same provider schema
 * `terraform providers schema -json` prints, and at the provider version the bindings were
 * generated from (hashicorp/aws 6.25, closer to the >= 6.29 the modules need than the 5.100 mirror
 * on these machines). Reading them at synth time, rather than committing a list, keeps the answer
 * right for every resource type a construct starts to use.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The nested block types of a block, by name, each with its own. */
export interface BlockSchema {
  readonly blocks: ReadonlyMap<string, BlockSchema>;
}

export type BlockKind = "resource" | "data";

const require = createRequire(import.meta.url);

/** Provider name (the type's prefix) to its bindings package. */
const BINDINGS: Record<string, string> = {
  aws: "@cdktf/provider-aws",
  docker: "@cdktf/provider-docker",
};

function libDir(provider: string): string | undefined {
  const pkg = BINDINGS[provider];
  if (!pkg) return undefined;
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), "lib");
  } catch {
    return undefined;
  }
}

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...jsFiles(join(dir, entry.name)));
    else if (entry.name.endsWith(".js")) out.push(join(dir, entry.name));
  }
  return out.sort();
}

const TYPE_OF_CLASS = /\.tfResourceType = "([a-z0-9_]+)";/;

/** The bindings folder of `type`: by the generator's naming rule, else by searching (slow, rare). */
function bindingDir(lib: string, provider: string, kind: BlockKind, type: string): string | undefined {
  const stem = kind === "data" ? `data-${type}` : type.slice(provider.length + 1);
  const guess = join(lib, stem.replace(/_/g, "-"));
  const declares = (dir: string) => {
    const index = join(dir, "index.js");
    if (!existsSync(index)) return false;
    const m = TYPE_OF_CLASS.exec(readFileSync(index, "utf8"));
    return m?.[1] === type && (kind === "data") === /\/data-[^/]+$/.test(dir);
  };
  if (declares(guess)) return guess;
  return readdirSync(lib)
    .map((d) => join(lib, d))
    .find((d) => (kind === "data") === /\/data-[^/]+$/.test(d) && declares(d));
}

interface Argument {
  readonly name: string;
  readonly isBlock: boolean;
  /** For a block: the `*ToHclTerraform` function of its content. */
  readonly struct?: string;
}

const ARGUMENT = /^\s+([a-z0-9_]+): \{\n\s+value: (.*),\n\s+isBlock: (true|false),/gm;
const STRUCT_FUNCTION = /(?<!cdktf\.)\b([A-Za-z0-9]+ToHclTerraform)\b/;

function argumentsIn(body: string): Argument[] {
  return [...body.matchAll(ARGUMENT)].map((m) => {
    const isBlock = m[3] === "true";
    const struct = isBlock ? STRUCT_FUNCTION.exec(m[2]!)?.[1] : undefined;
    if (isBlock && !struct) throw new Error(`block ${m[1]}: no content function in ${m[2]}`);
    return { name: m[1]!, isBlock, struct };
  });
}

/** The body of a function or method: from `header` to the first line that closes it. */
function bodyAfter(source: string, header: string, close: string): string | undefined {
  const start = source.indexOf(header);
  if (start < 0) return undefined;
  const end = source.indexOf(close, start);
  return source.slice(start, end < 0 ? undefined : end);
}

class Bindings {
  private readonly source: string;
  private readonly structs = new Map<string, BlockSchema>();

  constructor(dir: string) {
    this.source = jsFiles(dir)
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
  }

  resource(): BlockSchema {
    const body = bodyAfter(this.source, "    synthesizeHclAttributes() {", "\n    }\n");
    if (!body) throw new Error("no synthesizeHclAttributes in the bindings");
    return this.schemaOf(argumentsIn(body), []);
  }

  private struct(name: string, seen: string[]): BlockSchema {
    const known = this.structs.get(name);
    if (known) return known;
    // The generator unrolls recursive schemas to a fixed depth, so a cycle would be a misreading.
    if (seen.includes(name)) throw new Error(`recursive block content ${name}`);
    const body = bodyAfter(this.source, `function ${name}(struct) {`, "\n}\n");
    if (!body) throw new Error(`no function ${name} in the bindings`);
    const schema = this.schemaOf(argumentsIn(body), [...seen, name]);
    this.structs.set(name, schema);
    return schema;
  }

  private schemaOf(args: Argument[], seen: string[]): BlockSchema {
    const blocks = new Map<string, BlockSchema>();
    for (const a of args) if (a.isBlock) blocks.set(a.name, this.struct(a.struct!, seen));
    return { blocks };
  }
}

const cache = new Map<string, BlockSchema | undefined>();

/**
 * The nested blocks of a resource or data source type, or undefined when no bindings describe it
 * (another provider, or Terraform's own `terraform_data`): the printer then falls back to rules
 * that need no schema.
 */
export function blockSchemaOf(kind: BlockKind, type: string): BlockSchema | undefined {
  const key = `${kind}.${type}`;
  if (cache.has(key)) return cache.get(key);
  const provider = type.split("_")[0]!;
  const lib = libDir(provider);
  const dir = lib && bindingDir(lib, provider, kind, type);
  const schema = dir ? new Bindings(dir).resource() : undefined;
  cache.set(key, schema);
  return schema;
}

/** Every block path of a schema, dotted (`rule.filter.and`), sorted: for tests and review. */
export function blockPaths(schema: BlockSchema, prefix = ""): string[] {
  return [...schema.blocks.entries()]
    .flatMap(([name, s]) => [prefix + name, ...blockPaths(s, `${prefix}${name}.`)])
    .sort();
}
