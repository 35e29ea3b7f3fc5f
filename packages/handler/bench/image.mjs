#!/usr/bin/env node
// Benchmark of the jupyter-mcp image (run `pnpm image:build` first):
//   - image size (and the exported root file system's size)
//   - Lambda mode, through aws-lambda-ric and a local Runtime API in the read-only bwrap sandbox:
//     spawn -> runtime ready (first GET /next), spawn -> first `1+1` result, then the first
//     numpy + pandas call
//   - server mode: spawn -> listening (its log line), spawn -> first `1+1` result over HTTP (the
//     same plain keep-alive client as bench/run.js), then the first numpy + pandas call
//   - warm execute_code round trips in both modes (Lambda invocations; the MCP SDK client)
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
import { jsonRpcFromResult, mcpEvent } from "../image/events.mjs";
import { expectTwo, keepAliveClient, resultText } from "./lib/client.js";

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
const FIRST_CODE = "1+1";
const LIBS_CODE = "import numpy as np, pandas as pd\nprint(int(pd.Series(np.arange(10)).sum()))";
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
    // The server is stateless: a tools/call needs no initialize before it.
    expectTwo(await call(FIRST_CODE));
    const tFirst = now();
    await call(LIBS_CODE);
    const tLibs = now();
    const warmTimes = [];
    for (let i = 0; i < warm; i++) {
      const a = now();
      await call(WARM_CODE);
      warmTimes.push(now() - a);
    }
    return { ready: ms(t0, tReady), first: ms(t0, tFirst), libs: ms(tFirst, tLibs), warm: median(warmTimes) };
  } finally {
    await stopImage(child);
    await api.close();
  }
}

/** Resolves when the server's "listening" log line shows up (no polling granularity). */
async function listening(child, t0) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${child.output}`);
    if (/"url":"http:\/\/[^"]+"/.test(child.output)) return;
    if (now() - t0 > 120_000) throw new Error(`server not listening:\n${child.output}`);
    await new Promise((r) => setTimeout(r, 2));
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
  const plain = keepAliveClient(`${base}/mcp`, { token: TOKEN });
  try {
    await listening(child, t0);
    const tReady = now();
    expectTwo(await plain.execute(FIRST_CODE));
    const tFirst = now();
    resultText(await plain.execute(LIBS_CODE));
    const tLibs = now();
    const client = new Client({ name: "bench", version: "0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const warmTimes = [];
    for (let i = 0; i < warm; i++) {
      const a = now();
      await client.callTool({ name: "execute_code", arguments: { code: WARM_CODE } });
      warmTimes.push(now() - a);
    }
    await client.close();
    return { ready: ms(t0, tReady), first: ms(t0, tFirst), libs: ms(tFirst, tLibs), warm: median(warmTimes) };
  } finally {
    plain.close();
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
  row("lambda: spawn -> runtime ready", results.lambda, "ready"),
  row("lambda: spawn -> first 1+1 result", results.lambda, "first"),
  row("lambda: then first numpy+pandas call", results.lambda, "libs"),
  [
    "lambda: warm execute_code (median)",
    `${results.lambda.at(-1).warm.toFixed(1)} ms`,
    `${WARM} invocations of ${WARM_CODE}`,
  ],
  row("server: spawn -> listening", results.server, "ready"),
  row("server: spawn -> first 1+1 result", results.server, "first"),
  row("server: then first numpy+pandas call", results.server, "libs"),
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
  `\njupyter-mcp image benchmark (${RUNS} cold starts per mode; first call ${FIRST_CODE}, then ${JSON.stringify(LIBS_CODE)})\n`,
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
