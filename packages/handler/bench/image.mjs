#!/usr/bin/env node
// Benchmark of the jupyter-mcp image (run `pnpm image:build` first):
//   - image size (and the exported root file system's size)
//   - Lambda mode: container start -> runtime ready (first GET /next), and -> first execute_code
//     result, through aws-lambda-ric and a local Runtime API, in the read-only bwrap sandbox
//   - server mode: container start -> /health OK, and -> first execute_code result over the MCP
//     SDK client (initialize + tools/call)
//   - warm execute_code round trips in both modes
// Prints a table; writes .bench/image.json. Usage: node bench/image.mjs [--runs 3] [--image TAG]
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers";
import { mkdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { RuntimeApi } from "../image/runtime-api.mjs";
import { exportRootfs, freePort, imageInfo, lambdaEnv, spawnImage, stopImage } from "../image/sandbox.mjs";
import { initializeParams, jsonRpcFromResult, mcpEvent } from "../image/events.mjs";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    warm: { type: "string", default: "10" },
    image: { type: "string" },
  },
});
const RUNS = Number(values.runs);
const WARM = Number(values.warm);
const TOKEN = "bench-token-0123456789";
const FIRST_CODE = "import numpy as np, pandas as pd\nprint(int(pd.Series(np.arange(10)).sum()))";
const WARM_CODE = "1 + 1";

const ms = (a, b) => Math.round(b - a);
const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

async function lambdaRun(info, rootfs, warm) {
  const api = await RuntimeApi.start();
  const t0 = now();
  const child = spawnImage({
    info,
    rootfs,
    env: { ...lambdaEnv({ runtimeApi: api.address }), MCP_AUTH_TOKEN: TOKEN },
  });
  try {
    await api.ready({ timeoutMs: 120_000 });
    const tReady = now();
    let id = 0;
    const call = async (code) => {
      const r = await api.invoke(
        mcpEvent("tools/call", { name: "execute_code", arguments: { code } }, { id: ++id, token: TOKEN }),
        { timeoutMs: 120_000 },
      );
      if (!r.ok) throw new Error(`invoke failed: ${r.raw}\n${child.output}`);
      const msg = jsonRpcFromResult(r.payload);
      if (msg.error || msg.result?.isError) throw new Error(`execute_code failed: ${JSON.stringify(msg)}`);
      return msg;
    };
    // An MCP client would initialize first; on stateless Lambda that is one more invocation.
    await api.invoke(mcpEvent("initialize", initializeParams, { id: ++id, token: TOKEN }), {
      timeoutMs: 120_000,
    });
    await call(FIRST_CODE);
    const tFirst = now();
    const warmTimes = [];
    for (let i = 0; i < warm; i++) {
      const a = now();
      await call(WARM_CODE);
      warmTimes.push(now() - a);
    }
    return { ready: ms(t0, tReady), first: ms(t0, tFirst), warm: median(warmTimes) };
  } finally {
    await stopImage(child);
    await api.close();
  }
}

async function serverRun(info, rootfs, warm) {
  const port = await freePort();
  const t0 = now();
  const child = spawnImage({
    info,
    rootfs,
    command: ["server"],
    env: { PORT: String(port), MCP_AUTH_TOKEN: TOKEN },
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited:\n${child.output}`);
      try {
        if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).ok) break;
      } catch {
        /* not yet */
      }
      if (now() - t0 > 120_000) throw new Error(`server not healthy:\n${child.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const tReady = now();
    const client = new Client({ name: "bench", version: "0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const first = await client.callTool({ name: "execute_code", arguments: { code: FIRST_CODE } });
    if (first.isError) throw new Error(JSON.stringify(first));
    const tFirst = now();
    const warmTimes = [];
    for (let i = 0; i < warm; i++) {
      const a = now();
      await client.callTool({ name: "execute_code", arguments: { code: WARM_CODE } });
      warmTimes.push(now() - a);
    }
    await client.close();
    return { ready: ms(t0, tReady), first: ms(t0, tFirst), warm: median(warmTimes) };
  } finally {
    await stopImage(child);
  }
}

const info = await imageInfo(values.image);
let t = now();
const rootfs = await exportRootfs(info);
const exportMs = ms(t, now());
const rootfsBytes = Number(execFileSync("du", ["-sb", rootfs]).toString().split("\t")[0]);

const results = { lambda: [], server: [] };
for (let i = 0; i < RUNS; i++) {
  results.lambda.push(await lambdaRun(info, rootfs, i === RUNS - 1 ? WARM : 0));
  results.server.push(await serverRun(info, rootfs, i === RUNS - 1 ? WARM : 0));
}

const mib = (b) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const row = (k, runs, field) => [
  k,
  `${median(runs.map((r) => r[field]))} ms`,
  runs.map((r) => r[field]).join(" / "),
];
const rows = [
  ["image size (podman)", mib(info.size), info.image],
  ["root file system (exported)", mib(rootfsBytes), `export ${exportMs} ms (cached by image id)`],
  row("lambda: start -> runtime ready", results.lambda, "ready"),
  row("lambda: start -> first execute_code", results.lambda, "first"),
  [
    "lambda: warm execute_code (median)",
    `${results.lambda.at(-1).warm.toFixed(1)} ms`,
    `${WARM} calls of ${WARM_CODE}`,
  ],
  row("server: start -> /health OK", results.server, "ready"),
  row("server: start -> first execute_code", results.server, "first"),
  [
    "server: warm execute_code (median)",
    `${results.server.at(-1).warm.toFixed(1)} ms`,
    `${WARM} calls, MCP SDK client`,
  ],
];
const w = [0, 1, 2].map((i) =>
  Math.max(...rows.map((r) => String(r[i]).length), ["metric", "median", "runs"][i].length),
);
const line = (r) => `| ${r.map((c, i) => String(c).padEnd(w[i])).join(" | ")} |`;
console.log(
  `\njupyter-mcp image benchmark (${RUNS} cold starts per mode; first call = ${JSON.stringify(FIRST_CODE)})\n`,
);
console.log(line(["metric", "median", "runs"]));
console.log(`|${w.map((n) => "-".repeat(n + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", ".bench");
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "image.json"),
  JSON.stringify(
    { image: info.image, id: info.id, size: info.size, rootfsBytes, exportMs, runs: RUNS, results },
    null,
    2,
  ) + "\n",
);
