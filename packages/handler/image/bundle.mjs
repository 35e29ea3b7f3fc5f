#!/usr/bin/env node
// Bundles the handler's two entries (Lambda, HTTP server) from packages/handler/dist with esbuild
// into self-contained ESM files, so the image carries no node_modules and no dev dependencies:
//
//   <out>/lambda.mjs   exports `handler` (aws-lambda-ric loads it as `lambda.handler`)
//   <out>/server.mjs   runs the HTTP server (POST /mcp, GET /health)
//   <out>/chunk-*.mjs  code shared by both
//
// Usage: node packages/handler/image/bundle.mjs [--out DIR] [--dist DIR]
//   --out   default packages/handler/dist-image
//   --dist  default packages/handler/dist (run `pnpm --filter @jupyter-mcp/handler... build` first)
import { existsSync, mkdirSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const handlerRoot = resolve(here, "..");
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(handlerRoot, "dist-image") },
    dist: { type: "string", default: join(handlerRoot, "dist") },
    minify: { type: "boolean", default: false },
  },
});

// esbuild is a devDependency of @jupyter-mcp/handler; resolve it from there.
const { build } = createRequire(join(handlerRoot, "package.json"))("esbuild");

function findEntry(name) {
  for (const rel of [`${name}.js`, `entry/${name}.js`]) {
    const p = join(values.dist, rel);
    if (existsSync(p)) return p;
  }
  throw new Error(
    `bundle: no ${name}.js in ${values.dist} (looked for ${name}.js and entry/${name}.js); ` +
      "run `pnpm --filter @jupyter-mcp/handler... build` first",
  );
}

const out = resolve(values.out);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const started = Date.now();
const result = await build({
  entryPoints: { lambda: findEntry("lambda"), server: findEntry("server") },
  outdir: out,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Lambda and Debian trixie both run node 20; node: built-ins stay external by platform.
  // ws's optional native speed-ups are absent on purpose (it falls back to JS).
  external: ["bufferutil", "utf-8-validate"],
  // Some bundled CommonJS code calls require() on built-ins; give ESM output a real require.
  banner: {
    js: 'import { createRequire as __jmcpCreateRequire } from "node:module"; const require = __jmcpCreateRequire(import.meta.url);',
  },
  minify: values.minify,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});
writeFileSync(join(out, "package.json"), JSON.stringify({ type: "module", private: true }, null, 2) + "\n");

let total = 0;
for (const f of readdirSync(out)) total += statSync(join(out, f)).size;
console.log(
  `bundle: ${Object.keys(result.metafile.outputs).length} files, ${(total / 1024).toFixed(0)} KiB -> ${out} in ${Date.now() - started} ms`,
);
