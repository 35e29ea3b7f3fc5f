// What building an McpServer costs, the work a server pool would save: every request now gets a
// server of its own (src/mcp/endpoint.ts calls createMcpServer once per request, in both eras).
// Measured in a fresh node of its own (so the figure is not skewed by what the bench process has
// loaded), with a stub tool context: nothing in a build touches the kernel or the files, tools read
// the context only when called.
//
//   build     `createMcpServer(ctx, setup)` from a dist/, alone: the 2025-era setup and the
//             2026-07-28 one (Tasks methods registered, as the server does with its TaskRunner).
//   exchange  one in-process 2025-era tools/call of execute_code `1+1` (the stub session answers
//             at once with what a kernel would), on a server built for it and on one server kept and
//             reconnected, as a pool would: the difference is what a pool saves per request, the
//             per-instance work done lazily at the first call included (the output schema's JSON
//             Schema, for one). For a v1 build (which has the pool): its own McpServerPool, emptied
//             after every request (maxIdle 0) or kept (8).
//
//   node bench/lib/mcp-build.js <distDir> <iterations>   prints one line: RESULT {json}
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expectTwo, parseRpc } from "./client.js";
import { stats } from "./stats.js";

const self = fileURLToPath(import.meta.url);
const WARMUP = 200;

/** { n, sdk, tools, build: { legacy, modern? }, exchange: { fresh, reused } }, each in µs. */
export function mcpBuildCost(distDir, n = 2000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, distDir, String(n)], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out = (out + d).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const m = /^RESULT (.*)$/m.exec(out);
      if (m) resolve(JSON.parse(m[1]));
      else reject(new Error(`mcp-build exited ${code}: ${out.slice(-400)}`));
    });
  });
}

/** p50/p90/p99 and the mean, which also carries the collections of the servers left behind. */
const summary = (xs) => ({ ...stats(xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length });

/** Runs every function of `fns` once per round, WARMUP rounds untimed, then `n` timed (µs). */
async function alternate(fns, n) {
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let i = 0; i < WARMUP + n; i++) {
    for (const [name, fn] of Object.entries(fns)) {
      const t = performance.now();
      await fn();
      if (i >= WARMUP) samples[name].push((performance.now() - t) * 1000);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summary(v)]));
}

const load = (distDir, file) => import(pathToFileURL(path.join(distDir, file)).href);

async function main(distDir, n) {
  const { createMcpServer } = await load(distDir, "mcp/server.js");
  const { loadConfig } = await load(distDir, "config.js");
  const v1 = existsSync(path.join(distDir, "mcp", "pool.js"));
  const config = loadConfig({});
  // What KernelSession.execute resolves with for `1+1` (kernel/execution.ts ExecutionResult).
  const session = {
    execute: async () => ({
      executionId: randomUUID(),
      status: "ok",
      executionCount: 1,
      outputs: [{ type: "execute_result", data: { "text/plain": "2" }, executionCount: 1 }],
      droppedChars: 0,
      notes: [],
      kernelRestarted: false,
      durationMs: 1,
    }),
  };
  // The fields of ToolContext (src/mcp/tools/context.ts).
  const base = {
    limits: config.limits,
    defaultTimeoutSeconds: config.defaultTimeoutSeconds,
    maxTimeoutSeconds: config.maxTimeoutSeconds,
    ...(v1
      ? {}
      : {
          progressIntervalSeconds: config.progressIntervalSeconds,
          taskAfterMs: (config.taskAfterSeconds ?? 0) * 1000,
          canStream: false,
        }),
  };
  // registerTaskMethods only keeps the runner for when tasks/get or tasks/cancel is called.
  const runner = { forCaller: () => ({ start: async () => undefined }) };
  const tasks = { runner, caller: "default" };
  const setups = {
    legacy: () => createMcpServer({ ...base, session }, { era: "legacy", tasks }),
    ...(v1
      ? {}
      : {
          modern: () =>
            createMcpServer(
              { ...base, session, tasks: runner.forCaller("default") },
              { era: "modern", declaresTasks: false, tasks },
            ),
        }),
  };
  const build = await alternate(setups, n);

  const body = {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "execute_code", arguments: { code: "1+1" } },
  };
  const request = () =>
    new Request("http://127.0.0.1/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(body),
    });
  const check = async (res) => expectTwo(parseRpc(await res.text()));
  // Its own figure: a stub the tool code no longer accepts loses this line, not the builds.
  const exchange = await measureExchange().catch((err) => ({ error: String(err.message).split("\n")[0] }));
  async function measureExchange() {
    if (v1) {
      const { McpServerPool } = await load(distDir, "mcp/pool.js");
      const fresh = new McpServerPool(base, 0);
      const kept = new McpServerPool(base, 8);
      const perRequest = { session, workspace: undefined };
      return alternate(
        {
          fresh: async () => check(await fresh.handle(request(), body, perRequest)),
          reused: async () => check(await kept.handle(request(), body, perRequest)),
        },
        n,
      );
    }
    // The 2025-era path of McpEndpoint.legacy: a transport per request, connect, answer, close.
    const { WebStandardStreamableHTTPServerTransport } = await import("@modelcontextprotocol/server");
    const serve = async (server) => {
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await server.connect(transport);
      await check(await transport.handleRequest(request(), { parsedBody: body }));
      await transport.close();
      await server.close();
    };
    const kept = setups.legacy();
    return alternate({ fresh: () => serve(setups.legacy()), reused: () => serve(kept) }, n);
  }
  const tools = Object.keys(setups.legacy()._registeredTools ?? {}).length;
  const result = { n, sdk: v1 ? "v1" : "v2", tools, build, exchange };
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
