#!/usr/bin/env node
// Synth time and peak memory of every app, each in a fresh Node process, beside baselines measured in
// the same run: bare Node, `import "cdktf"`, a root import of @cdktf/provider-aws (what deep imports
// avoid), and the deep imports of the largest stack alone.
//
//   pnpm --filter @jupyter-mcp/constructs run bench            (3 runs each, median)
//   BENCH_RUNS=5 pnpm --filter @jupyter-mcp/constructs run bench
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");
const root = join(pkg, "..", "..");
const runs = Number(process.env.BENCH_RUNS ?? 3);
const url = (p) => pathToFileURL(p).href;

// Each case is module code run in a child; it prints its own peak RSS (KiB) as the last line.
const REPORT = `process.stdout.write("\\n" + JSON.stringify({ maxRss: process.resourceUsage().maxRSS }));`;

function measure(code, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `${code}\n${REPORT}`], {
    cwd,
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`bench case failed:\n${r.stderr}`);
  const last = r.stdout.trim().split("\n").pop();
  return { ms, maxRss: JSON.parse(last).maxRss };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function bench(label, code, cwd = pkg, n = runs) {
  const results = Array.from({ length: n }, () => measure(code, cwd));
  return { label, ms: median(results.map((r) => r.ms)), mb: median(results.map((r) => r.maxRss)) / 1024, n };
}

const apps = readdirSync(join(root, "apps")).filter((a) =>
  existsSync(join(root, "apps", a, "src", "stack.ts")),
);
for (const app of apps) {
  const dir = join(root, "apps", app);
  if (!existsSync(join(dir, "dist", "src", "stack.js"))) {
    const r = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
    if (r.status !== 0) process.exit(1);
  }
}
const writer = url(join(pkg, "dist", "module-writer.js"));

const rows = [
  bench("baseline: node, empty script", ""),
  bench("baseline: import cdktf", `await import("cdktf");`),
  bench("baseline: import @cdktf/provider-aws (root)", `await import("@cdktf/provider-aws");`, pkg, 1),
  bench(
    "baseline: deep imports of lambda-http-api only",
    `await import(${JSON.stringify(url(join(root, "apps", "lambda-http-api", "dist", "src", "stack.js")))});`,
  ),
  ...apps.map((app) =>
    bench(
      `synth ${app} (import + build + module JSON)`,
      `const { buildApp } = await import(${JSON.stringify(url(join(root, "apps", app, "dist", "src", "stack.js")))});
       const { moduleJson } = await import(${JSON.stringify(writer)});
       const json = moduleJson(buildApp().stack);
       if (!json.resource) throw new Error("empty module");`,
    ),
  ),
];

const w = Math.max(...rows.map((r) => r.label.length));
console.log(`${"case".padEnd(w)}  ${"time (ms)".padStart(10)}  ${"peak RSS (MB)".padStart(13)}  runs`);
for (const r of rows) {
  console.log(
    `${r.label.padEnd(w)}  ${r.ms.toFixed(0).padStart(10)}  ${r.mb.toFixed(0).padStart(13)}  ${r.n}`,
  );
}
