// Ships the `zeromq` npm package next to the bundle (<out>/node_modules), trimmed to what runs:
// its JavaScript, one prebuilt addon for the image's platform (the package carries 25 of them,
// about 33 MB, for every OS, CPU and libc), a manifest naming only that one, and the one file of
// cmake-ts it loads them with. node-addon-api, its other dependency, is C++ headers for building.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** A package's directory as Node would find it from `fromDir` (cmake-ts exports no ./package.json). */
function packageDir(fromDir, name) {
  for (const dir of createRequire(join(fromDir, "package.json")).resolve.paths(name) ?? []) {
    if (existsSync(join(dir, name, "package.json"))) return realpathSync(join(dir, name));
  }
  throw new Error(`cannot find ${name} from ${fromDir}`);
}

/** Files under `dir` (relative paths) that `keep` accepts. */
function walk(dir, keep, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p, keep, base);
    const rel = relative(base, p);
    return keep(rel) ? [rel] : [];
  });
}

function copy(fromDir, toDir, files) {
  let bytes = 0;
  for (const rel of files) {
    mkdirSync(dirname(join(toDir, rel)), { recursive: true });
    copyFileSync(join(fromDir, rel), join(toDir, rel));
    bytes += statSync(join(fromDir, rel)).size;
  }
  return bytes;
}

/** The addons zeromq's loader would try on linux/<arch>/<libc>, in its order (highest ABI first). */
function candidates(manifest, arch, libc) {
  return Object.entries(manifest)
    .map(([key, file]) => ({ cfg: JSON.parse(key), file: file.replaceAll("\\", "/") }))
    .filter(({ cfg }) => cfg.os === "linux" && cfg.arch === arch && cfg.libc === libc)
    .sort((a, b) => (b.cfg.abi ?? 0) - (a.cfg.abi ?? 0));
}

/** The first candidate that loads here when we are the target; else the loader's first choice. */
function pickAddon(zmqDir, list, arch, libc) {
  const hostLibc = process.report?.getReport().header.glibcVersionRuntime ? "glibc" : "musl";
  if (process.platform !== "linux" || process.arch !== arch || hostLibc !== libc) return list[0];
  const load = createRequire(import.meta.url);
  return list.find(({ file }) => {
    try {
      load(join(zmqDir, "build", file));
      return true;
    } catch {
      return false; // e.g. built against a newer glibc than this one
    }
  });
}

export function shipZeromq({ handlerRoot, out, arch, libc }) {
  const zmqDir = packageDir(handlerRoot, "zeromq");
  const cmakeDir = packageDir(zmqDir, "cmake-ts");
  const pkg = JSON.parse(readFileSync(join(zmqDir, "package.json"), "utf8"));

  // The runtime JavaScript: no type declarations, source maps, TypeScript 3.7 copies or C++.
  const js = walk(
    zmqDir,
    (rel) =>
      /^(lib\/(?!ts3\.7\/).*\.js|[^/]+\.js|package\.json|LICENSE[^/]*)$/.test(rel) && !rel.startsWith("."),
  );
  // Whatever that JavaScript requires must be a built-in, itself, or cmake-ts (shipped below).
  for (const rel of js.filter((f) => f.endsWith(".js"))) {
    for (const [, dep] of readFileSync(join(zmqDir, rel), "utf8").matchAll(/require\("([^".][^"]*)"\)/g)) {
      const name = dep.startsWith("@") ? dep.split("/").slice(0, 2).join("/") : dep.split("/")[0];
      if (!builtinModules.includes(name) && name !== "cmake-ts") {
        throw new Error(`zeromq ${pkg.version} now requires ${dep} at run time (${rel}): ship it too`);
      }
    }
  }

  const manifest = JSON.parse(readFileSync(join(zmqDir, "build", "manifest.json"), "utf8"));
  const list = candidates(manifest, arch, libc);
  if (!list.length) throw new Error(`zeromq ${pkg.version} has no prebuilt addon for linux/${arch}/${libc}`);
  const addon = pickAddon(zmqDir, list, arch, libc);
  if (!addon)
    throw new Error(
      `no zeromq addon for linux/${arch}/${libc} loads here: ${list.map((c) => c.file).join(", ")}`,
    );

  const dest = join(out, "node_modules", "zeromq");
  let bytes = copy(zmqDir, dest, [...js, join("build", addon.file)]);
  const key = Object.keys(manifest).find((k) => manifest[k].replaceAll("\\", "/") === addon.file);
  writeFileSync(join(dest, "build", "manifest.json"), JSON.stringify({ [key]: addon.file }));

  // cmake-ts: its package.json (the exports map resolves "cmake-ts/build/loader") and the loader.
  const cmakeFiles = [
    "package.json",
    "build/loader.js",
    ...readdirSync(cmakeDir).filter((f) => /^LICEN[CS]E/i.test(f)),
  ];
  bytes += copy(cmakeDir, join(out, "node_modules", "cmake-ts"), cmakeFiles);
  return { version: pkg.version, addon: addon.file, bytes };
}

/**
 * Links every module of the bundle (entries and chunks) without running them, against the real
 * externals: zeromq is imported for real (its addon loads) from <out>/node_modules, and a named
 * import the CommonJS package does not provide fails here as it would at start. Returns a summary.
 */
export function checkLoads(out, natives) {
  const script = join(here, "load-check.mjs");
  const text = execFileSync(
    process.execPath,
    ["--experimental-vm-modules", "--no-warnings", script, out, ...natives],
    {
      cwd: out,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return text.trim();
}
