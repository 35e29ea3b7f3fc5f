/**
 * The Terraform CLI checks of generated HCL: `terraform fmt` (canonical form, and a parse), and
 * `terraform validate` against a filesystem mirror of providers (these machines hold hashicorp/aws
 * 5.100.0 under /opt/tf-plugins; the modules need >= 6.29, so the mirror's version is put in an
 * override file: 6.x-only arguments then show up as "Unsupported argument" and are expected), and
 * `terraform test` with `mock_provider` on the same kind of copy.
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const DEFAULT_PLUGIN_DIR = "/opt/tf-plugins";

function env(): NodeJS.ProcessEnv {
  return { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
}

export interface FmtResult {
  /** terraform fmt parsed the text. */
  readonly ok: boolean;
  /** Its canonical form (equal to the input when the input is canonical). */
  readonly formatted: string;
  readonly stderr: string;
}

/** `terraform fmt -` on `text`. */
export function terraformFmt(text: string): FmtResult {
  const r = spawnSync("terraform", ["fmt", "-no-color", "-"], { input: text, encoding: "utf8", env: env() });
  return { ok: r.status === 0, formatted: r.stdout, stderr: r.stderr };
}

/** Files under `dir` that `terraform fmt -check -recursive` would change (empty when canonical). */
export function fmtCheck(dir: string): { status: number | null; files: string[]; stderr: string } {
  const r = spawnSync("terraform", ["fmt", "-check", "-recursive", "-no-color", "."], {
    cwd: dir,
    encoding: "utf8",
    env: env(),
  });
  const files = r.stdout.split("\n").filter((l) => l.trim() !== "");
  return { status: r.status, files, stderr: r.status === 0 ? "" : r.stderr };
}

/** Providers in a filesystem mirror: `namespace/name` to the newest version there. */
export function mirroredProviders(pluginDir: string): Map<string, string> {
  const found = new Map<string, string>();
  const registry = join(pluginDir, "registry.terraform.io");
  if (!existsSync(registry)) return found;
  const byVersion = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
  for (const ns of readdirSync(registry))
    for (const name of readdirSync(join(registry, ns))) {
      const versions = readdirSync(join(registry, ns, name)).sort(byVersion);
      if (versions.length > 0) found.set(`${ns}/${name}`, versions[versions.length - 1]!);
    }
  return found;
}

/** `local name = { source = ... }` entries of a generated versions.tf. */
export function requiredProviders(versionsTf: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of versionsTf.matchAll(/^ {4}([a-z0-9_-]+) = \{\n {6}source\s*= "([^"]+)"/gm))
    out.set(m[1]!, m[2]!);
  return out;
}

export interface Diagnostic {
  readonly severity: string;
  readonly summary: string;
  readonly detail: string;
  /** file:line */
  readonly at: string;
}

export type MirrorValidation =
  | { readonly skipped: string }
  | {
      readonly skipped?: undefined;
      readonly valid: boolean;
      readonly diagnostics: Diagnostic[];
      readonly versions: string;
    };

/**
 * A copy of the module (its .tf files, and `extra` files at the paths given) whose provider
 * constraints are overridden with the mirror's versions, initialised with `terraform init
 * -plugin-dir`; `run` gets its directory, which is removed afterwards. Skipped (with the reason)
 * when a provider the module needs is not in the mirror.
 */
function inMirroredCopy<T>(
  moduleDir: string,
  pluginDir: string,
  extra: Record<string, string>,
  run: (work: string, versions: string) => T,
): T | { readonly skipped: string } {
  const mirror = mirroredProviders(pluginDir);
  const required = requiredProviders(readFileSync(join(moduleDir, "versions.tf"), "utf8"));
  const missing = [...required.values()].filter((source) => !mirror.has(source));
  if (missing.length > 0) return { skipped: `${missing.join(", ")} not in the mirror ${pluginDir}` };
  const work = mkdtempSync(join(tmpdir(), "tf-mirror-"));
  try {
    for (const f of readdirSync(moduleDir).filter((f) => f.endsWith(".tf")))
      copyFileSync(join(moduleDir, f), join(work, f));
    for (const [path, text] of Object.entries(extra)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), text);
    }
    const pins = [...required].map(
      ([n, source]) => `    ${n} = { source = "${source}", version = "${mirror.get(source)}" }`,
    );
    writeFileSync(
      join(work, "versions_override.tf"),
      `terraform {\n  required_providers {\n${pins.join("\n")}\n  }\n}\n`,
    );
    const init = spawnSync(
      "terraform",
      ["init", `-plugin-dir=${pluginDir}`, "-backend=false", "-input=false", "-no-color"],
      { cwd: work, encoding: "utf8", env: env() },
    );
    if (init.status !== 0)
      throw new Error(`terraform init failed in a copy of ${moduleDir}:\n${init.stderr}`);
    return run(work, [...required.values()].map((s) => `${s} ${mirror.get(s)}`).join(", "));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `terraform validate` on a mirrored copy of the module (see inMirroredCopy). */
export function validateWithMirror(moduleDir: string, pluginDir = DEFAULT_PLUGIN_DIR): MirrorValidation {
  return inMirroredCopy(moduleDir, pluginDir, {}, (work, versions) => {
    const r = spawnSync("terraform", ["validate", "-json", "-no-color"], {
      cwd: work,
      encoding: "utf8",
      env: env(),
    });
    const out = JSON.parse(r.stdout) as {
      valid: boolean;
      diagnostics: {
        severity: string;
        summary: string;
        detail?: string;
        range?: { filename: string; start: { line: number } };
      }[];
    };
    return {
      valid: out.valid,
      versions,
      diagnostics: out.diagnostics.map((d) => ({
        severity: d.severity,
        summary: d.summary,
        detail: d.detail ?? "",
        at: d.range ? `${d.range.filename}:${d.range.start.line}` : "",
      })),
    };
  });
}

export type TerraformTestRun =
  | { readonly skipped: string }
  | { readonly skipped?: undefined; readonly status: number | null; readonly output: string };

/**
 * `terraform test` of the `tests` files (name to text; `mock_provider` blocks keep the provider
 * from calling AWS) on a mirrored copy of the module.
 */
export function terraformTestWithMirror(
  moduleDir: string,
  tests: Record<string, string>,
  pluginDir = DEFAULT_PLUGIN_DIR,
): TerraformTestRun {
  const files = Object.fromEntries(Object.entries(tests).map(([name, text]) => [join("tests", name), text]));
  return inMirroredCopy(moduleDir, pluginDir, files, (work) => {
    const r = spawnSync("terraform", ["test", "-no-color"], { cwd: work, encoding: "utf8", env: env() });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  });
}

/**
 * Whether a validate error is only the mirror's older schema not knowing a 6.x argument,
 * attribute or block. A misprinted block or attribute is told apart by Terraform's own hint
 * ("Did you mean to define a block ..." / "... an argument ...").
 */
export function isNewerSchemaOnly(d: Diagnostic): boolean {
  return (
    ["Unsupported argument", "Unsupported attribute", "Unsupported block type"].includes(d.summary) &&
    !/Did you mean to define (a block|argument)/.test(d.detail)
  );
}
