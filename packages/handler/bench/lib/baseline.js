// "today's": the server as it was at an earlier revision (BENCH_BASELINE_REV, default 4c6fdaf, the
// last one on the v1 SDK), built by the bench itself and measured beside ours in the same run.
//
// The revision's tree comes out of `git archive` (no worktree, nothing in the repository changes),
// gets `pnpm install --offline --frozen-lockfile` for the handler and what it depends on (with
// BENCH_BASELINE_ONLINE=1 pnpm may download what its store lacks), and its event-adapter and
// handler are compiled with its own TypeScript. The build is kept in .bench/baseline-<rev>/; a
// second run finds its BUILT stamp and starts it at once (delete the directory to rebuild). Only
// what the server runs is kept (dist, package.json, node_modules), so eslint, jest and tsc of this
// package never see a second copy of the sources.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeServer } from "./servers.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const handlerDir = path.resolve(here, "../..");
export const DEFAULT_BASELINE_REV = "4c6fdaf";
/** The packages the server needs at run time, in build order. */
const PACKAGES = ["event-adapter", "handler"];
const KEEP = new Set(["dist", "node_modules", "package.json"]);

/**
 * Output of a command, or an Error whose first line says what failed (the first line of its output
 * that names an error, for the table) and whose next lines carry the end of what it printed.
 */
function run(what, command, args, options = {}) {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
      ...options,
    });
  } catch (err) {
    if (err.code === "ENOENT") throw new Error(`${what}: ${command} not found on PATH`);
    const lines = `${err.stdout ?? ""}\n${err.stderr ?? ""}`
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const first = lines.find((l) => /ERR_|error|fatal/i.test(l)) ?? lines.at(-1) ?? err.message;
    const failure = new Error(`${what} failed: ${first}\n${lines.slice(-12).join("\n")}`);
    failure.output = lines.join("\n");
    throw failure;
  }
}

/** The full commit `rev` names in the repository this bench lives in. */
function resolveRev(rev) {
  const top = run("git rev-parse", "git", ["-C", handlerDir, "rev-parse", "--show-toplevel"]).trim();
  const sha = run(`git rev-parse ${rev}`, "git", [
    "-C",
    top,
    "rev-parse",
    "--verify",
    `${rev}^{commit}`,
  ]).trim();
  return { top, sha };
}

/** Removes everything but what `node dist/server.js` needs, in the tree and in each package. */
function prune(root) {
  for (const name of readdirSync(root)) {
    if (name !== "packages" && !KEEP.has(name))
      rmSync(path.join(root, name), { recursive: true, force: true });
  }
  for (const pkg of readdirSync(path.join(root, "packages"))) {
    const dir = path.join(root, "packages", pkg);
    if (!PACKAGES.includes(pkg)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    for (const name of readdirSync(dir)) {
      if (!KEEP.has(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/**
 * Renames the copy's handler package: jest's module map of this package crawls .bench/ and warns of
 * a second "@jupyter-mcp/handler". Nothing resolves the handler by name (the server is started by
 * path), so the rename changes nothing it runs. Returns the package.json.
 */
function renameCopy(root, short) {
  const file = path.join(root, "packages", "handler", "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  const name = `@jupyter-mcp/handler-baseline-${short}`;
  if (pkg.name !== name) writeFileSync(file, `${JSON.stringify({ ...pkg, name }, null, 2)}\n`);
  return pkg;
}

function build(root, top, sha, log) {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const tar = path.join(root, "tree.tar");
  log(`git archive ${sha.slice(0, 12)}`);
  run("git archive", "git", ["-C", top, "archive", "--format=tar", "-o", tar, sha]);
  run("tar -x", "tar", ["-xf", tar, "-C", root]);
  rmSync(tar);
  const online = process.env.BENCH_BASELINE_ONLINE === "1";
  log(`pnpm install ${online ? "" : "--offline "}--frozen-lockfile`);
  try {
    const args = [
      "install",
      ...(online ? [] : ["--offline"]),
      "--frozen-lockfile",
      "--filter",
      "@jupyter-mcp/handler...",
    ];
    run("pnpm install", "pnpm", args, { cwd: root, env: { ...process.env, CI: "1" } });
  } catch (err) {
    if (online || !/OFFLINE|not found in the store|missing from the store/i.test(err.output ?? "")) throw err;
    throw new Error(
      `the pnpm store lacks packages of ${sha.slice(0, 7)}'s lockfile; BENCH_BASELINE_ONLINE=1 lets pnpm download them\n${err.message}`,
    );
  }
  // Its own compiler, from its own lockfile: nothing is fetched, nothing of ours is used.
  const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
  if (!existsSync(tsc)) throw new Error(`no TypeScript in ${sha.slice(0, 7)}'s root devDependencies`);
  for (const pkg of PACKAGES) {
    log(`tsc -p packages/${pkg}/tsconfig.build.json`);
    run(`tsc (${pkg})`, process.execPath, [tsc, "-p", "tsconfig.build.json"], {
      cwd: path.join(root, "packages", pkg),
    });
  }
  prune(root);
  renameCopy(root, sha.slice(0, 7));
  writeFileSync(path.join(root, "BUILT"), `${sha}\n${new Date().toISOString()}\n`);
}

/**
 * The baseline's server, built on first use. Returns { rev, sha, short, sdk, dir, dist, server } where
 * `server` spawns like `ours` (servers.js); throws with the reason when it cannot be built.
 */
export function baseline(rev = DEFAULT_BASELINE_REV, log = () => undefined) {
  const { top, sha } = resolveRev(rev);
  const short = sha.slice(0, 7);
  const root = path.join(handlerDir, ".bench", `baseline-${short}`);
  const stamp = path.join(root, "BUILT");
  const dist = path.join(root, "packages", "handler", "dist");
  const cached =
    existsSync(stamp) &&
    readFileSync(stamp, "utf8").startsWith(sha) &&
    existsSync(path.join(dist, "server.js"));
  if (!cached) {
    const t = performance.now();
    try {
      build(root, top, sha, (step) => log(`baseline ${short}: ${step}`));
    } catch (err) {
      rmSync(root, { recursive: true, force: true });
      throw err;
    }
    log(`baseline ${short}: built in ${((performance.now() - t) / 1000).toFixed(0)} s, kept in ${root}`);
  } else log(`baseline ${short}: cached in ${root}`);
  const deps = renameCopy(root, short).dependencies ?? {};
  const sdk = deps["@modelcontextprotocol/sdk"]
    ? "v1 SDK"
    : deps["@modelcontextprotocol/server"]
      ? "v2 SDK"
      : "no SDK?";
  return { rev, sha, short, sdk, dir: root, dist, server: nodeServer(`baseline-${short}`, dist), cached };
}
