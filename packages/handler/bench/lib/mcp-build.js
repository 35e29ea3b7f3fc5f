// What building an McpServer costs, the work a server pool would save: every request now gets a
// server of its own (src/mcp/endpoint.ts calls createMcpServer once per request, in both eras).
// `createMcpServer(ctx, setup)` from a dist/ is timed alone, in a fresh node of its own (so the
// figure is not skewed by what this process has loaded), with a stub tool context: nothing in the
// build touches the kernel or the files, tools read the context only when called.
//
//   node bench/lib/mcp-build.js <distDir> <iterations>   prints one line: RESULT {json}
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stats } from "./stats.js";

const self = fileURLToPath(import.meta.url);
const WARMUP = 200;

/**
 * p50/p90/p99 in µs of createMcpServer as each era's request builds it. The two setups are those
 * of McpEndpoint.serverFor: 2025-era (no Tasks), 2026-07-28 (the Tasks methods registered, as the
 * server does with its TaskRunner). A v1 build (createMcpServer(ctx)) ignores the setup: its one
 * figure is `legacy`.
 */
export function mcpBuildCost(distDir, n = 2000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, distDir, String(n)], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out = (out + d).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const m = /^RESULT (.*)$/m.exec(out);
      if (m) resolve(JSON.parse(m[1]));
      else reject(new Error(`mcp-build exited ${code}: ${out.slice(-400)}`));
    });
  });
}

async function main(distDir, n) {
  const { createMcpServer } = await import(pathToFileURL(path.join(distDir, "mcp", "server.js")).href);
  const { loadConfig } = await import(pathToFileURL(path.join(distDir, "config.js")).href);
  const config = loadConfig({});
  // The fields of ToolContext (src/mcp/tools/context.ts); the session is never reached by a build.
  const base = {
    limits: config.limits,
    defaultTimeoutSeconds: config.defaultTimeoutSeconds,
    maxTimeoutSeconds: config.maxTimeoutSeconds,
    progressIntervalSeconds: config.progressIntervalSeconds,
    taskAfterMs: (config.taskAfterSeconds ?? 0) * 1000,
    session: {},
    canStream: false,
  };
  // registerTaskMethods only keeps the runner for when tasks/get or tasks/cancel is called.
  const runner = { forCaller: () => ({ start: async () => undefined }) };
  const setups = {
    legacy: () => createMcpServer({ ...base }, { era: "legacy", tasks: { runner, caller: "default" } }),
    modern: () =>
      createMcpServer(
        { ...base, tasks: runner.forCaller("default") },
        { era: "modern", declaresTasks: false, tasks: { runner, caller: "default" } },
      ),
  };
  const samples = { legacy: [], modern: [] };
  for (let i = 0; i < WARMUP; i++) for (const build of Object.values(setups)) build();
  // Alternating, so a GC or a burst of load lands on both.
  for (let i = 0; i < n; i++) {
    for (const [name, build] of Object.entries(setups)) {
      const t = performance.now();
      build();
      samples[name].push((performance.now() - t) * 1000);
    }
  }
  const tools = Object.keys(setups.legacy()._registeredTools ?? {}).length;
  // The mean also carries the collections of the servers left behind, which p50 mostly misses.
  const summary = (xs) => ({ ...stats(xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length });
  const result = { n, tools, legacy: summary(samples.legacy), modern: summary(samples.modern) };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

if (process.argv[1] === self) {
  main(path.resolve(process.argv[2]), Number(process.argv[3] ?? 2000)).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
