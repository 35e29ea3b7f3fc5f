#!/usr/bin/env node
// Bundles the handler's two entries (Lambda, HTTP server) from packages/handler/dist with esbuild
// into ESM files, so the image carries no dev dependencies and no node_modules but one:
//
//   <out>/lambda.mjs   exports `handler` (aws-lambda-ric loads it as `lambda.handler`)
//   <out>/server.mjs   runs the HTTP server (POST /mcp, GET /health)
//   <out>/chunk-*.mjs  code shared by both
//   <out>/node_modules/zeromq   the native ZMQ addon, kept external (see zeromq-package.mjs):
//                               its JS, one prebuilt binary for the target, and cmake-ts's loader
//
// Usage: node packages/handler/image/bundle.mjs [--out DIR] [--dist DIR] [--arch x64|arm64]
//   --out   default packages/handler/dist-image
//   --dist  default packages/handler/dist (run `pnpm --filter @jupyter-mcp/handler... build` first)
//   --arch  the image's CPU (default: this machine's); --libc glibc (Debian) or musl
import { existsSync, mkdirSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { builtinModules, createRequire } from "node:module";
import { checkLoads, shipZeromq } from "./zeromq-package.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const handlerRoot = resolve(here, "..");
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(handlerRoot, "dist-image") },
    dist: { type: "string", default: join(handlerRoot, "dist") },
    arch: { type: "string", default: process.arch },
    libc: { type: "string", default: "glibc" },
    minify: { type: "boolean", default: false },
  },
});

// Native addons cannot be bundled: they stay imports, resolved from <out>/node_modules.
const NATIVE = ["zeromq"];

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
  // The image runs Node 24 (scripts/ensure-node.sh pins it); node: built-ins stay external by platform.
  target: "node24",
  // ws's optional native speed-ups are absent on purpose (it falls back to JS).
  external: ["bufferutil", "utf-8-validate", ...NATIVE],
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

// Every bare import left in the output must be a built-in or something we ship next to it.
const externals = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const imp of output.imports) {
    if (imp.external && !imp.path.startsWith("node:") && !imp.path.startsWith(".")) {
      externals.add(imp.path.split("/")[0]);
    }
  }
}
const optional = new Set(["bufferutil", "utf-8-validate"]);
const unshipped = [...externals].filter(
  (p) => !optional.has(p) && !NATIVE.includes(p) && !builtinModules.includes(p),
);
if (unshipped.length) throw new Error(`bundle: external imports nothing ships: ${unshipped.join(", ")}`);

let total = 0;
for (const f of readdirSync(out)) total += statSync(join(out, f)).size;
console.log(
  `bundle: ${Object.keys(result.metafile.outputs).length} files, ${(total / 1024).toFixed(0)} KiB -> ${out} in ${Date.now() - started} ms`,
);

// zeromq is shipped (and checked) whether or not this build's engine imports it: about 2 MB.
const shipped = shipZeromq({ handlerRoot, out, arch: values.arch, libc: values.libc });
console.log(
  `bundle: zeromq ${shipped.version} (${shipped.addon}, ${(shipped.bytes / 1024).toFixed(0)} KiB with cmake-ts's loader) -> ${join(out, "node_modules")}`,
);
if (values.arch === process.arch && process.platform === "linux") {
  const loaded = checkLoads(out, NATIVE);
  console.log(`bundle: load check passed (${loaded})`);
} else {
  console.log(
    `bundle: no load check (target linux/${values.arch}, this machine ${process.platform}/${process.arch})`,
  );
}
