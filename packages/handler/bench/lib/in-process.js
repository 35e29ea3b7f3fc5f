// Our handler without a socket: the Fetch handler called directly, and the Lambda handler fed
// HTTP API v2 events, both in this process; and the Lambda init (import of dist/lambda.js until
// its kernel is ready) in a fresh child. These use dist's exports, which the engine work may
// reshape; the HTTP figures (servers.js) only rely on the server.js contract.
import { spawn } from "node:child_process";
import path from "node:path";
import { ACCEPT, expectTwo, parseRpc, toolCall } from "./client.js";
import { dist } from "./servers.js";
import { stateRoot } from "./procs.js";
import { timeLoop } from "./stats.js";

const headers = { "content-type": "application/json", accept: ACCEPT };

export async function fetchHandler(n) {
  const { loadConfig, startHttpServer, createLogger } = await import(path.join(dist, "index.js"));
  const config = loadConfig({ PORT: "0", JUPYTER_STATE_ROOT: stateRoot("fetch"), LOG_LEVEL: "error" });
  const server = await startHttpServer(config, createLogger("error"));
  try {
    const app = server.runtime?.app ?? server.app;
    if (typeof app !== "function") throw new Error("startHttpServer() no longer exposes the Fetch handler");
    return await timeLoop(async (i) => {
      const res = await app(
        new Request("http://127.0.0.1/mcp", { method: "POST", headers, body: toolCall(i, "1+1") }),
      );
      expectTwo(parseRpc(await res.text()));
    }, n);
  } finally {
    await server.close();
  }
}

export async function lambdaHandler(n) {
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
        body: toolCall(i, "1+1"),
      });
      const result = await handler(event, context);
      if (result.statusCode !== 200) throw new Error(`Lambda answered ${result.statusCode}: ${result.body}`);
      expectTwo(parseRpc(result.body));
    }, n);
  } finally {
    await shutdown();
  }
}

/** ms from the start of `import("dist/lambda.js")` to its resolution (the init phase), in a fresh node. */
export function lambdaInit() {
  const script =
    `const t = performance.now(); const m = await import(${JSON.stringify(path.join(dist, "lambda.js"))});` +
    `process.stdout.write("READY " + (performance.now() - t) + "\\n"); await m.shutdown?.(); process.exit(0);`;
  return new Promise((resolve, reject) => {
    const root = stateRoot("init");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: {
        PATH: process.env.PATH,
        HOME: root,
        JUPYTER_STATE_ROOT: root,
        MCP_AUTH_TOKEN: "bench",
        LOG_LEVEL: "error",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out = (out + d).slice(-4000)));
    child.once("exit", (code) => {
      clearTimeout(timer);
      const m = /READY ([\d.]+)/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`lambda init exited ${code}: ${out.slice(-400)}`));
    });
  });
}
