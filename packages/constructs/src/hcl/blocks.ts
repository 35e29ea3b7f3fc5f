/**
 * A synthesized Terraform JSON configuration as HCL files in the standard module layout:
 * versions.tf (the terraform block), variables.tf, main.tf (locals, data sources, resources,
 * ephemeral resources) and outputs.tf. Blocks are told from attributes by the provider schema
 * (block-schema.ts); meta-arguments (count, for_each, provider, depends_on, lifecycle, dynamic,
 * provisioner, connection) by Terraform's own rules. Keys this printer does not know in variable,
 * output and terraform blocks are errors, so nothing is dropped silently.
 */
import { blockSchemaOf, type BlockKind, type BlockSchema } from "./block-schema.js";
import { hardline, indent, tok, type Doc } from "./doc.js";
import { print } from "./format.js";
import { tupleDoc } from "./expression-doc.js";
import { LINE_WIDTH } from "./limits.js";
import {
  isIdentifier,
  isObject,
  proseDoc,
  rawExpressionDoc,
  templateStringDoc,
  traversalDoc,
  valueDoc,
  type Json,
  type JsonObject,
} from "./values.js";

interface Item {
  readonly kind: "attribute" | "block";
  readonly doc: Doc;
}

/** Items of one section of a body; sections are set apart by a blank line, and so is each block. */
type Sections = Item[][];

function identifier(name: string, where: string): Doc {
  if (!isIdentifier(name)) throw new Error(`${where}: ${JSON.stringify(name)} is not an HCL identifier`);
  return tok("Ident", name);
}

function attribute(name: string, value: Doc, where: string): Item {
  return { kind: "attribute", doc: [identifier(name, where), tok("Equal", "="), value] };
}

function label(text: string): Doc {
  return [tok("OQuote", '"'), tok("QuotedLit", text), tok("CQuote", '"')];
}

function bodyDoc(sections: Sections): Doc {
  const items = sections.filter((s) => s.length > 0);
  const out: Doc[] = [];
  items.forEach((section, i) => {
    section.forEach((item, j) => {
      const first = i === 0 && j === 0;
      const apart = j === 0 || item.kind === "block" || section[j - 1]!.kind === "block";
      if (!first) out.push(apart ? [hardline, hardline] : hardline);
      out.push(item.doc);
    });
  });
  return out;
}

function block(type: string, labels: string[], sections: Sections): Item {
  const head = [tok("Ident", type), ...labels.map(label)];
  const empty = sections.every((s) => s.length === 0);
  const body = empty
    ? [tok("OBrace", "{"), tok("CBrace", "}")]
    : [tok("OBrace", "{"), indent([hardline, bodyDoc(sections)]), hardline, tok("CBrace", "}")];
  return { kind: "block", doc: [...head, ...body] };
}

/** Block names Terraform itself defines, which are blocks in any resource or nested block. */
const META_BLOCKS = new Set([
  "lifecycle",
  "dynamic",
  "provisioner",
  "connection",
  "precondition",
  "postcondition",
]);

/** Without a schema: arrays of objects are repeated blocks, other objects are map attributes. */
function isBlock(key: string, value: Json, schema: BlockSchema | undefined): boolean {
  if (META_BLOCKS.has(key)) return true;
  if (schema) return schema.blocks.has(key);
  return Array.isArray(value) && value.length > 0 && value.every(isObject);
}

function asBlocks(key: string, value: Json, where: string): JsonObject[] {
  const list = Array.isArray(value) ? value : [value];
  for (const b of list)
    if (!isObject(b)) throw new Error(`${where}.${key}: a block must be an object, not ${JSON.stringify(b)}`);
  return list as JsonObject[];
}

function conditionBlocks(type: string, value: Json, where: string): Item[] {
  return asBlocks(type, value, where).map((c) =>
    block(
      type,
      [],
      [
        [
          attribute("condition", templateStringDoc(String(c.condition), "sensitive"), where),
          attribute("error_message", proseDoc(String(c.error_message), "template"), where),
        ],
      ],
    ),
  );
}

function lifecycleBlock(value: Json, where: string): Item {
  const [body] = asBlocks("lifecycle", value, where);
  const attributes: Item[] = [];
  const conditions: Item[] = [];
  for (const [k, v] of Object.entries(body!)) {
    if (k === "precondition" || k === "postcondition") conditions.push(...conditionBlocks(k, v, where));
    else if (k === "ignore_changes" && v === "all") attributes.push(attribute(k, tok("Ident", "all"), where));
    else if (k === "ignore_changes" || k === "replace_triggered_by")
      attributes.push(attribute(k, tupleDoc((v as string[]).map(traversalDoc)), where));
    else attributes.push(attribute(k, valueDoc(v, "template"), where));
  }
  return block("lifecycle", [], [attributes, conditions]);
}

function dynamicBlocks(value: Json, schema: BlockSchema | undefined, where: string): Item[] {
  return asBlocks("dynamic", value, where).flatMap((byName) =>
    Object.entries(byName).map(([name, spec]) => {
      const { content, iterator, ...rest } = spec as JsonObject;
      const attributes = Object.entries(rest).map(([k, v]) => attribute(k, valueDoc(v, "template"), where));
      if (typeof iterator === "string") attributes.push(attribute("iterator", traversalDoc(iterator), where));
      const inner = nestedSections(
        (content ?? {}) as JsonObject,
        schema?.blocks.get(name),
        `${where}.${name}`,
      );
      return block("dynamic", [name], [attributes, [block("content", [], inner)]]);
    }),
  );
}

function provisionerBlocks(value: Json, where: string): Item[] {
  return asBlocks("provisioner", value, where).flatMap((byType) =>
    Object.entries(byType).map(([type, body]) => {
      const b = { ...(body as JsonObject) };
      const refs = (["when", "on_failure"] as const).flatMap((k) => {
        const v = b[k];
        delete b[k];
        return typeof v === "string" ? [attribute(k, traversalDoc(v), where)] : [];
      });
      const [attrs, blocks] = nestedSections(b, undefined, `${where}.provisioner`);
      return block("provisioner", [type], [[...refs, ...attrs!], blocks!]);
    }),
  );
}

/** The attributes and nested blocks of a block's JSON body. */
function nestedSections(body: JsonObject, schema: BlockSchema | undefined, where: string): [Item[], Item[]] {
  const attributes: Item[] = [];
  const blocks: Item[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === "//" || v === undefined) continue;
    if (k === "dynamic") blocks.push(...dynamicBlocks(v, schema, where));
    else if (k === "lifecycle") blocks.push(lifecycleBlock(v, where));
    else if (k === "provisioner") blocks.push(...provisionerBlocks(v, where));
    else if (k === "precondition" || k === "postcondition") blocks.push(...conditionBlocks(k, v, where));
    else if (isBlock(k, v, schema))
      for (const b of asBlocks(k, v, where))
        blocks.push(block(k, [], nestedSections(b, schema?.blocks.get(k), `${where}.${k}`)));
    else attributes.push(attribute(k, valueDoc(v, "template"), where));
  }
  return [attributes, blocks];
}

/** A resource, data source or ephemeral resource: meta-arguments first, lifecycle last. */
function resourceBlock(
  kind: "resource" | "data" | "ephemeral",
  type: string,
  name: string,
  body: JsonObject,
): Item {
  const where = `${kind}.${type}.${name}`;
  const schemaKind: BlockKind | undefined = kind === "ephemeral" ? undefined : kind;
  const schema = schemaKind ? blockSchemaOf(schemaKind, type) : undefined;
  const { count, for_each, provider, depends_on, lifecycle, ...rest } = body;
  const meta: Item[] = [];
  if (count !== undefined) meta.push(attribute("count", valueDoc(count, "template"), where));
  if (for_each !== undefined) meta.push(attribute("for_each", valueDoc(for_each, "template"), where));
  if (typeof provider === "string") meta.push(attribute("provider", traversalDoc(provider), where));
  const tail: Item[] = [];
  if (Array.isArray(depends_on) && depends_on.length > 0)
    tail.push(attribute("depends_on", tupleDoc((depends_on as string[]).map(traversalDoc)), where));
  const lifecycleItems = lifecycle === undefined ? [] : [lifecycleBlock(lifecycle, where)];
  const [attributes, blocks] = nestedSections(rest, schema, where);
  return block(kind, [type, name], [meta, attributes, blocks, tail, lifecycleItems]);
}

function variableBlock(name: string, body: JsonObject): Item {
  const where = `variable.${name}`;
  const attributes: Item[] = [];
  const { description, type, default: def, validation, ...flags } = body;
  if (typeof description === "string")
    attributes.push(attribute("description", proseDoc(description, "literal"), where));
  if (typeof type === "string") attributes.push(attribute("type", rawExpressionDoc(type), where));
  if (def !== undefined) attributes.push(attribute("default", valueDoc(def, "literal"), where));
  for (const [k, v] of Object.entries(flags)) {
    if (!["nullable", "sensitive", "ephemeral"].includes(k))
      throw new Error(`${where}: unknown argument ${k}`);
    attributes.push(attribute(k, valueDoc(v, "template"), where));
  }
  const validations = validation === undefined ? [] : conditionBlocks("validation", validation, where);
  return block("variable", [name], [attributes, validations]);
}

function outputBlock(name: string, body: JsonObject): Item {
  const where = `output.${name}`;
  const { description, value, precondition, depends_on, ...flags } = body;
  const attributes: Item[] = [];
  if (typeof description === "string")
    attributes.push(attribute("description", proseDoc(description, "literal"), where));
  attributes.push(attribute("value", valueDoc(value ?? null, "template"), where));
  for (const [k, v] of Object.entries(flags)) {
    if (!["sensitive", "ephemeral"].includes(k)) throw new Error(`${where}: unknown argument ${k}`);
    attributes.push(attribute(k, valueDoc(v, "template"), where));
  }
  if (Array.isArray(depends_on) && depends_on.length > 0)
    attributes.push(attribute("depends_on", tupleDoc((depends_on as string[]).map(traversalDoc)), where));
  const conditions = precondition === undefined ? [] : conditionBlocks("precondition", precondition, where);
  return block("output", [name], [attributes, conditions]);
}

function terraformBlock(body: JsonObject): Item {
  const { required_version, required_providers, ...other } = body;
  const unknown = Object.keys(other);
  if (unknown.length > 0) throw new Error(`terraform block: unsupported ${unknown.join(", ")}`);
  const version =
    typeof required_version === "string"
      ? [attribute("required_version", valueDoc(required_version, "literal"), "terraform")]
      : [];
  const providers = Object.entries((required_providers ?? {}) as JsonObject).map(([n, req]) =>
    attribute(n, valueDoc(req, "literal", "sensitive", true), "terraform.required_providers"),
  );
  return block(
    "terraform",
    [],
    [version, providers.length > 0 ? [block("required_providers", [], [providers])] : []],
  );
}

function fileText(items: Item[], header: string): string {
  if (items.length === 0) return `${header}\n`;
  const doc = bodyDoc([items]);
  return `${header}\n\n${print(doc, LINE_WIDTH)}\n`;
}

export type HclFiles = Readonly<Record<"versions.tf" | "variables.tf" | "main.tf" | "outputs.tf", string>>;

const SECTIONS = new Set(["terraform", "variable", "locals", "data", "resource", "ephemeral", "output"]);

/**
 * The HCL files of a module from its Terraform JSON (no provider blocks: a module has none).
 * `header` is a comment (with its `#`) that starts every file.
 */
export function moduleHclFiles(config: JsonObject, header: string): HclFiles {
  const unsupported = Object.keys(config).filter((k) => !SECTIONS.has(k));
  if (unsupported.length > 0) throw new Error(`unsupported top-level blocks: ${unsupported.join(", ")}`);
  const byType = (kind: "resource" | "data" | "ephemeral") =>
    Object.entries((config[kind] ?? {}) as Record<string, JsonObject>).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, body]) => resourceBlock(kind, type, name, body as JsonObject)),
    );
  const locals = Object.entries((config.locals ?? {}) as JsonObject).map(([k, v]) =>
    attribute(k, valueDoc(v, "template"), "locals"),
  );
  const main = [
    ...(locals.length > 0 ? [block("locals", [], [locals])] : []),
    ...byType("data"),
    ...byType("resource"),
    ...byType("ephemeral"),
  ];
  return {
    "versions.tf": fileText(config.terraform ? [terraformBlock(config.terraform as JsonObject)] : [], header),
    "variables.tf": fileText(
      Object.entries((config.variable ?? {}) as Record<string, JsonObject>).map(([n, b]) =>
        variableBlock(n, b),
      ),
      header,
    ),
    "main.tf": fileText(main, header),
    "outputs.tf": fileText(
      Object.entries((config.output ?? {}) as Record<string, JsonObject>).map(([n, b]) => outputBlock(n, b)),
      header,
    ),
  };
}
