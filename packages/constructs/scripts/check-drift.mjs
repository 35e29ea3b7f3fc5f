#!/usr/bin/env node
// Fails when a committed module differs from a fresh synth of its app: `node dist/main.js --check`
// in every app (building the app first when needed). CI: `pnpm --filter @jupyter-mcp/constructs run check:drift`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
let failed = false;
for (const app of readdirSync(join(root, "apps"))) {
  const dir = join(root, "apps", app);
  if (!existsSync(join(dir, "main.ts"))) continue;
  const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
  const check =
    build.status === 0 &&
    spawnSync(process.execPath, ["dist/main.js", "--check"], { cwd: dir, stdio: "inherit" });
  if (!check || check.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
