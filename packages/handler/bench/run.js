// `pnpm bench` for the handler: warm `1+1` through HTTP, the in-process Fetch handler and the Lambda
// handler, next to the floor (straight ZMQ) measured in the same run; cold start and Lambda init.
import { spawn, execFileSync } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, "../dist");
const N = Number(process.env.BENCH_ITERATIONS ?? 200);
const python = process.env.JUPYTER_PYTHON ?? "/usr/bin/python3";
const stateRoot = (label) => mkdtempSync(path.join(tmpdir(), `jmcp-bench-${label}-`));

const body = (id) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "execute_code", arguments: { code: "1+1" } },
  });
const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), n: s.length };
}

async function timeLoop(fn) {
  for (let i = 0; i < 20; i++) await fn(i);
  const samples = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

function check(text) {
  if (!text.includes('"text":"Out[') && !text.includes("2"))
    throw new Error(`unexpected answer: ${text.slice(0, 200)}`);
}

async function floor() {
  const out = execFileSync(python, [path.join(here, "floor.py"), String(N)], {
    env: { PATH: process.env.PATH, HOME: stateRoot("floor") },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return stats(JSON.parse(out.toString()));
}

async function httpAndFetch() {
  process.env.LOG_LEVEL = "error";
  const { loadConfig, startHttpServer, createLogger } = await import(path.join(dist, "index.js"));
  console.debug = () => undefined;
  const config = loadConfig({ PORT: "0", JUPYTER_STATE_ROOT: stateRoot("http"), LOG_LEVEL: "error" });
  const server = await startHttpServer(config, createLogger("error"));
  try {
    // A plain keep-alive HTTP/1.1 client, as curl or an MCP client's HTTP stack would be; undici's
    // fetch alone adds about half a millisecond per call in this process.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (payload) =>
      new Promise((resolve, reject) => {
        const req = httpRequest(`${server.url}/mcp`, { method: "POST", headers, agent }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end(payload);
      });
    const viaHttp = await timeLoop(async (i) => check(await post(body(i))));
    agent.destroy();
    const inProcess = await timeLoop(async (i) => {
      const res = await server.runtime.app(
        new Request("http://127.0.0.1/mcp", { method: "POST", headers, body: body(i) }),
      );
      check(await res.text());
    });
    return { http: viaHttp, inProcess };
  } finally {
    await server.close();
  }
}

function childTimed(args, env, until) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const onData = async (chunk) => {
      out += chunk;
      const value = await until(out, started);
      if (value !== undefined) {
        child.kill("SIGTERM");
        resolve(value);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out.slice(-500)}`)));
  });
}

async function coldStart() {
  let pending;
  return childTimed(
    [path.join(dist, "server.js")],
    { PATH: process.env.PATH, PORT: "0", JUPYTER_STATE_ROOT: stateRoot("cold"), LOG_LEVEL: "info" },
    async (out, started) => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (!m || pending) return undefined;
      pending = true;
      const res = await fetch(m[1], { method: "POST", headers, body: body(1) });
      check(await res.text());
      return performance.now() - started;
    },
  );
}

async function lambdaInit() {
  const script = `const t=performance.now();await import(${JSON.stringify(path.join(dist, "lambda.js"))});console.log("READY "+(performance.now()-t));`;
  return childTimed(
    ["--input-type=module", "-e", script],
    {
      PATH: process.env.PATH,
      JUPYTER_STATE_ROOT: stateRoot("init"),
      MCP_AUTH_TOKEN: "bench",
      LOG_LEVEL: "error",
    },
    async (out) => {
      const m = /READY ([\d.]+)/.exec(out);
      return m ? Number(m[1]) : undefined;
    },
  );
}

async function lambdaWarm() {
  Object.assign(process.env, {
    JUPYTER_STATE_ROOT: stateRoot("lambda"),
    MCP_AUTH_TOKEN: "bench",
    LOG_LEVEL: "error",
  });
  const { httpApiV2Event, lambdaContext } = await import("@jupyter-mcp/event-adapter/testing");
  const { handler, shutdown } = await import(path.join(dist, "lambda.js"));
  const context = lambdaContext({ getRemainingTimeInMillis: () => 60_000 });
  try {
    return await timeLoop(async (i) => {
      const event = httpApiV2Event({
        method: "POST",
        path: "/mcp",
        headers: { ...headers, authorization: "Bearer bench" },
        body: body(i),
      });
      const result = await handler(event, context);
      check(result.body);
    });
  } finally {
    await shutdown();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x) => x.toFixed(2).padStart(9);

const base = await floor();
const { http, inProcess } = await httpAndFetch();
const lambda = await lambdaWarm();
const colds = [];
for (let i = 0; i < 3; i++) colds.push(await coldStart());
const inits = [];
for (let i = 0; i < 3; i++) inits.push(await lambdaInit());

console.log(`\nwarm execute_code of 1+1, ${N} iterations after 20 warm-up calls (ms)`);
console.log(`${"path".padEnd(37)}      p50       p90       p99   p50/floor`);
for (const [name, s] of [
  ["floor: jupyter_client over ZMQ", base],
  ["HTTP server (node:http, keep-alive)", http],
  ["Fetch handler in-process", inProcess],
  ["Lambda handler, HTTP API v2 event", lambda],
]) {
  console.log(`${name.padEnd(37)}${f(s.p50)} ${f(s.p90)} ${f(s.p99)}   ${(s.p50 / base.p50).toFixed(2)}x`);
}
console.log(
  `\ncold start, process start to first 1+1 result (ms): median ${median(colds).toFixed(0)} of [${colds.map((c) => c.toFixed(0)).join(", ")}]  (target <= 2000)`,
);
console.log(
  `Lambda init, import of dist/lambda.js until the kernel is ready (ms): median ${median(inits).toFixed(0)} of [${inits.map((c) => c.toFixed(0)).join(", ")}]`,
);
const ratio = http.p50 / base.p50;
console.log(`\nHTTP p50 / floor p50 = ${ratio.toFixed(2)} (target <= 1.5)`);
process.exit(0);
