// node --experimental-vm-modules load-check.mjs <bundle dir> [native packages...]
//
// Proves the esbuild output can start in the image without starting it: every .mjs of the bundle
// is compiled and linked (imports between chunks, node: built-ins, and the external packages,
// which are really imported from <bundle dir>/node_modules, so a native addon must load), but
// nothing of the bundle runs (the entries would start a server and a kernel). A missing file, a
// missing named export, or an addon that does not load fails here with the reason.
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { join, resolve, dirname } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";

const [dir, ...natives] = process.argv.slice(2);
const out = resolve(dir);
const requireFromOut = createRequire(join(out, "package.json"));
const modules = new Map();

async function external(specifier) {
  const key = `external:${specifier}`;
  if (!modules.has(key)) {
    const name = specifier.replace(/^node:/, "");
    let url = specifier;
    if (!specifier.startsWith("node:") && !builtinModules.includes(name.split("/")[0])) {
      // Resolve from the bundle's own node_modules, never from a workspace further up.
      const resolved = requireFromOut.resolve(specifier);
      if (!resolved.startsWith(join(out, "node_modules"))) {
        throw new Error(`${specifier} resolves outside the bundle: ${resolved}`);
      }
      url = pathToFileURL(resolved).href;
    }
    const ns = await import(url);
    const names = Object.keys(ns);
    modules.set(
      key,
      new vm.SyntheticModule(
        names,
        function () {
          for (const n of names) this.setExport(n, ns[n]);
        },
        { identifier: specifier },
      ),
    );
  }
  return modules.get(key);
}

function file(path) {
  if (!modules.has(path)) {
    modules.set(
      path,
      new vm.SourceTextModule(readFileSync(path, "utf8"), {
        identifier: pathToFileURL(path).href,
        initializeImportMeta: (meta) => (meta.url = pathToFileURL(path).href),
      }),
    );
  }
  return modules.get(path);
}

async function linker(specifier, referencing) {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    const from = dirname(new URL(referencing.identifier).pathname);
    return file(resolve(from, specifier));
  }
  return external(specifier);
}

const entries = readdirSync(out).filter((f) => f.endsWith(".mjs"));
for (const name of entries) {
  const m = file(join(out, name));
  if (m.status === "unlinked") await m.link(linker);
}
for (const name of natives) await external(name);
const externals = [...modules.keys()]
  .filter((k) => k.startsWith("external:"))
  .map((k) => k.slice("external:".length))
  .filter((name) => !name.startsWith("node:") && !builtinModules.includes(name.split("/")[0]));
console.log(`${entries.length} modules linked; externals: ${externals.join(", ") || "none"}`);
