#!/usr/bin/env node
// `terraform validate` on each module (or those named) against a filesystem mirror of providers,
// for machines without the Terraform registry: `validate.sh --mirror [DIR]` runs it. The modules
// need hashicorp/aws >= 6.29; a mirror with an older one (5.100.0 here) still checks syntax, block
// structure and references, and its "Unsupported argument/attribute" errors for 6.x-only names are
// listed but expected. Exits 1 on any other error. Needs `pnpm --filter @jupyter-mcp/constructs build`.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PLUGIN_DIR, isNewerSchemaOnly, validateWithMirror } from "../dist/hcl/terraform-cli.js";

const args = process.argv.slice(2);
const pluginDir =
  args[0] && !args[0].startsWith("-") ? args.shift() : process.env.TF_PLUGIN_DIR || DEFAULT_PLUGIN_DIR;
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const modules = args.length > 0 ? args : readdirSync(join(root, "modules")).filter((m) => !m.startsWith("."));
let failed = false;
for (const m of modules) {
  const r = validateWithMirror(join(root, "modules", m), pluginDir);
  if (r.skipped) {
    console.log(`== modules/${m}: skipped (${r.skipped})`);
    continue;
  }
  const unexpected = r.diagnostics.filter((d) => d.severity === "error" && !isNewerSchemaOnly(d));
  const older = r.diagnostics.filter((d) => d.severity === "error" && isNewerSchemaOnly(d));
  console.log(`== modules/${m} (${r.versions}): ${unexpected.length === 0 ? "ok" : "FAILED"}`);
  for (const d of unexpected) console.log(`  error ${d.at}: ${d.summary}: ${d.detail}`);
  for (const d of older) console.log(`  expected with this provider version, ${d.at}: ${d.detail}`);
  if (unexpected.length > 0) failed = true;
}
process.exit(failed ? 1 : 0);
