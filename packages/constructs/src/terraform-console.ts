/**
 * Evaluates a module's variables and locals with `terraform console`, which needs no provider: it
 * checks that the hand-written expressions parse and compute what we mean, and that variable
 * validations accept and refuse what they should. Tests fail, saying how to install it, where terraform is missing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Obj = Record<string, unknown>;

const REF = String.raw`(?:data\.|ephemeral\.)?(?:aws|docker)_[a-z0-9_]+\.[a-z0-9_]+`;
/** An attribute, possibly of a nested block: `arn`, `domain_name_configuration[0].target_domain_name`. */
const ATTR = String.raw`[a-z0-9_]+(?:\[[0-9]+\]\.[a-z0-9_]+)*`;

function placeholders(expr: string): string {
  const re = new RegExp(
    String.raw`one\((${REF})\[\*\]\.(${ATTR})\)|\b(${REF})\[\*\]\.(${ATTR})|\b(${REF})\.(${ATTR})`,
    "g",
  );
  return expr
    .replace(re, (_m, r1?: string, a1?: string, r2?: string, a2?: string, r3?: string, a3?: string) =>
      r2 ? `["<${r2}.${a2}>"]` : `"<${r1 ?? r3}.${a1 ?? a3}>"`,
    )
    .replace(/\bcount\.index\b/g, "0");
}

export function terraformAvailable(): boolean {
  const r = spawnSync("terraform", ["version"], { encoding: "utf8", env: quietEnv() });
  return r.status === 0;
}

/**
 * Wraps a test that evaluates expressions with `terraform console`: where terraform is missing the
 * test fails and says how to get it, rather than being skipped and counted as passing.
 */
export function requiringTerraform<T>(fn: () => T): () => T {
  return () => {
    if (!terraformAvailable()) {
      throw new Error(
        "This test evaluates the module with `terraform console` and terraform is not on PATH. " +
          "Install Terraform >= 1.11 (https://developer.hashicorp.com/terraform/install); no provider download is needed.",
      );
    }
    return fn();
  };
}

function quietEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
}

export interface ConsoleResult {
  readonly ok: boolean;
  /** One value per expression (JSON-decoded), when ok. */
  readonly values: unknown[];
  readonly stderr: string;
}

/**
 * The module with extra locals, e.g. probes that name a resource's argument so that `terraform
 * console` can evaluate it (`local.probe_env`).
 */
export function withLocals(json: Obj, locals: Obj): Obj {
  return { ...json, locals: { ...((json.locals ?? {}) as Obj), ...locals } };
}

/**
 * Evaluates `expressions` against the module's variables and locals, with `values` as the
 * variables' values.
 */
export function consoleEval(json: Obj, expressions: string[], values: Obj = {}): ConsoleResult {
  // Resources and data sources do not exist without providers: their attributes become
  // placeholder strings ("<aws_s3_bucket.workspace_bucket.id>").
  const locals = Object.fromEntries(
    Object.entries((json.locals ?? {}) as Record<string, string>).map(([k, v]) => [
      k,
      placeholders(String(v)),
    ]),
  );
  const dir = mkdtempSync(join(tmpdir(), "tf-console-"));
  try {
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({ variable: json.variable ?? {}, locals }, null, 2),
    );
    writeFileSync(join(dir, "terraform.tfvars.json"), JSON.stringify(values));
    const r = spawnSync("terraform", ["console", "-no-color"], {
      cwd: dir,
      // One expression: console drops lines piped in while it starts.
      input: `jsonencode([${expressions.join(", ")}])\n`,
      encoding: "utf8",
      env: quietEnv(),
      timeout: 60_000,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith('"'));
    const ok = r.status === 0 && line !== undefined && !/Error:/.test(r.stderr + r.stdout);
    return {
      ok,
      values: ok ? (JSON.parse(JSON.parse(line) as string) as unknown[]) : [],
      stderr: r.stderr + (ok ? "" : r.stdout),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Block {
  readonly address: string;
  readonly count?: unknown;
  readonly body: unknown;
}

function blocks(json: Obj): Block[] {
  const out: Block[] = [];
  for (const [kind, prefix] of [
    ["resource", ""],
    ["data", "data."],
    ["ephemeral", "ephemeral."],
  ] as const) {
    for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Obj>>)) {
      for (const [name, body] of Object.entries(byName)) {
        out.push({ address: `${prefix}${type}.${name}`, count: body.count, body });
      }
    }
  }
  for (const [name, body] of Object.entries((json.output ?? {}) as Record<string, Obj>)) {
    out.push({ address: `output.${name}`, body });
  }
  return out;
}

function expressionsOf(value: unknown, path: string, found: Record<string, string>): void {
  if (typeof value === "string") {
    if (value.includes("${")) found[path] = value;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => expressionsOf(v, `${path}[${i}]`, found));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      // A dynamic block's content refers to its iterator (cors_configuration.value.x), which only
      // exists per element of for_each: evaluate the for_each, not the content.
      if (k === "content" && /\.dynamic\.[a-z0-9_]+$/.test(path)) continue;
      expressionsOf(v, `${path}.${k}`, found);
    }
  }
}

/** Every string of the module's resources, data sources and outputs that holds an expression. */
export function moduleExpressions(json: Obj, skip: Set<string> = new Set()): Record<string, string> {
  const found: Record<string, string> = {};
  for (const b of blocks(json)) if (!skip.has(b.address)) expressionsOf(b.body, b.address, found);
  return found;
}

function evalNamed(
  json: Obj,
  named: Record<string, string>,
  values: Obj,
): ConsoleResult & { keys: string[] } {
  const keys = Object.keys(named);
  const extra = Object.fromEntries(keys.map((k, i) => [`__expr_${i}`, named[k]!]));
  const withExprs = { ...json, locals: { ...((json.locals ?? {}) as Obj), ...extra } };
  const r = consoleEval(
    withExprs,
    keys.map((_k, i) => `local.__expr_${i}`),
    values,
  );
  // Name the failing expressions by their place in the module.
  const stderr = r.stderr.replace(/(?:local\.)?__expr_(\d+)/g, (m, i: string) => keys[Number(i)] ?? m);
  return { ...r, stderr, keys };
}

/**
 * Evaluates every expression of the module with `values` as the variables' values, resource
 * attributes as placeholders and count.index as 0, skipping blocks whose count is 0 (Terraform
 * does not evaluate those either): catches syntax errors, type errors and null arguments that
 * only `terraform plan` would otherwise reveal.
 */
export function evaluateAllExpressions(
  json: Obj,
  values: Obj = {},
): { ok: boolean; stderr: string; evaluated: number } {
  const counted = blocks(json).filter((b) => typeof b.count === "string" && b.count.includes("${"));
  const counts = evalNamed(
    json,
    Object.fromEntries(counted.map((b) => [b.address, b.count as string])),
    values,
  );
  if (!counts.ok) return { ok: false, stderr: counts.stderr, evaluated: 0 };
  const skip = new Set(counted.filter((_b, i) => counts.values[i] === 0).map((b) => b.address));
  const r = evalNamed(json, moduleExpressions(json, skip), values);
  return { ok: r.ok, stderr: r.stderr, evaluated: r.keys.length };
}

/** The preconditions of the blocks that exist for `values`, evaluated: address and result. */
export function evaluatePreconditions(json: Obj, values: Obj = {}): { address: string; holds: unknown }[] {
  const counted = blocks(json).filter((b) => typeof b.count === "string" && b.count.includes("${"));
  const counts = evalNamed(
    json,
    Object.fromEntries(counted.map((b) => [b.address, b.count as string])),
    values,
  );
  const skip = new Set(counted.filter((_b, i) => counts.values[i] === 0).map((b) => b.address));
  const conditions: Record<string, string> = {};
  for (const b of blocks(json)) {
    if (skip.has(b.address)) continue;
    const pre = ((b.body as Obj).lifecycle as Obj | undefined)?.precondition as
      { condition: string }[] | undefined;
    (pre ?? []).forEach((p, i) => (conditions[`${b.address}.lifecycle.precondition[${i}]`] = p.condition));
  }
  const r = evalNamed(json, conditions, values);
  return r.keys.map((address, i) => ({ address, holds: r.ok ? r.values[i] : undefined }));
}
