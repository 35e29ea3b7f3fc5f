/**
 * Evaluates a module's variables and locals with `terraform console`, which needs no provider: it
 * checks that the hand-written expressions parse and compute what we mean, and that variable
 * validations accept and refuse what they should. Tests skip it where terraform is not installed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Obj = Record<string, unknown>;

const REF = String.raw`(?:data\.)?(?:aws|docker)_[a-z0-9_]+\.[a-z0-9_]+`;

function placeholders(expr: string): string {
  const re = new RegExp(String.raw`one\((${REF})\[\*\]\.([a-z0-9_]+)\)|\b(${REF})\.([a-z0-9_]+)`, "g");
  return expr.replace(
    re,
    (_m, r1?: string, a1?: string, r2?: string, a2?: string) => `"<${r1 ?? r2}.${a1 ?? a2}>"`,
  );
}

export function terraformAvailable(): boolean {
  const r = spawnSync("terraform", ["version"], { encoding: "utf8", env: quietEnv() });
  return r.status === 0;
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
