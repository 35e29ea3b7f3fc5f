// What a warm call pays with sessions on: `1+1` through `node dist/server.js` and through the
// Lambda handler (in a child of its own, lambda-child.js), each with no bucket, with the workspace
// bucket only (file sync), and with sessions (bucket + session table + checkpoint key), against
// s3rver and dynalite (local-aws.js). All paths are taken interleaved, in blocks of 20 in a
// rotating order (warm.js), so load on the machine lands on all of them.
//
// The HTTP server checkpoints after it has answered, so it is measured two ways:
//   back-to-back  the next call goes out as soon as the answer is in: it waits for the previous
//                 call's checkpoint and lease release (one lease per caller), so this is the
//                 whole per-call cost as a tight loop sees it;
//   paced         after each answer the client waits until the server has logged the checkpoint
//                 (plus a short gap for the lease release), then calls again: what an agent that
//                 thinks between calls sees, and, from request to the logged checkpoint, the
//                 total work per call. The no-sessions servers get the same gap.
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expectTwo, keepAliveClient } from "./client.js";
import { stateRoot, stopTree } from "./procs.js";
import { ours } from "./servers.js";
import { stats } from "./stats.js";
import { interleave } from "./warm.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const GAP_MS = 25;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CHECKPOINT_LINE = /"message":"(session checkpointed|checkpoint failed)"[^\n]*/g;

/** The environment of each variant; `caller` keeps their leases and prefixes apart. */
function variants(aws) {
  const key = randomBytes(24).toString("hex"); // 48 characters, fresh per run
  return {
    plain: {},
    bucket: { ...aws.env },
    sessions: { ...aws.env, ...aws.sessionEnv, MCP_CHECKPOINT_KEY: key },
  };
}

/** Follows a server's log for the checkpoints it takes after answering. */
function watchCheckpoints(child) {
  const state = { done: 0, failed: 0, durations: [], errors: [], waiters: [] };
  let tail = "";
  const onData = (chunk) => {
    tail += chunk;
    const cut = tail.lastIndexOf("\n");
    if (cut < 0) return;
    const lines = tail.slice(0, cut);
    tail = tail.slice(cut + 1);
    for (const m of lines.matchAll(CHECKPOINT_LINE)) {
      state.done++;
      if (m[1] === "checkpoint failed") {
        state.failed++;
        state.errors.push(m[0].slice(0, 300));
      } else {
        const d = /"durationMs":(\d+)/.exec(m[0]);
        if (d) state.durations.push(Number(d[1]));
      }
    }
    state.waiters = state.waiters.filter((w) => (state.done >= w.count ? (w.resolve(), false) : true));
  };
  child.stderr.on("data", onData);
  child.stdout.on("data", onData);
  return {
    state,
    /** Resolves once `count` checkpoints have been logged (rejects after 30 s). */
    until(count) {
      if (state.done >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no checkpoint logged within 30 s`)), 30_000);
        state.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

async function httpServer(name, env) {
  const token = randomBytes(16).toString("hex");
  const server = await ours.spawn({ ...env, MCP_AUTH_TOKENS: `${name}=${token}` });
  const client = keepAliveClient(server.url, { token });
  const log = watchCheckpoints(server.child);
  const sessions = "MCP_SESSION_TABLE" in env;
  let calls = 0;
  expectTwo(await client.execute("1+1"));
  calls++;
  if (sessions) await log.until(calls);
  const one = async () => {
    const t = performance.now();
    expectTwo(await client.execute("1+1"));
    calls++;
    return performance.now() - t;
  };
  const totals = [];
  return {
    log,
    totals,
    /** k calls back to back; then (untimed) waits for their checkpoints, so no work spills into the next block. */
    backToBack: async (k) => {
      const samples = [];
      for (let i = 0; i < k; i++) samples.push(await one());
      if (sessions) await log.until(calls);
      return samples;
    },
    /** k calls, each followed by its checkpoint (sessions) and a gap; records request -> checkpoint. */
    paced: async (k) => {
      const samples = [];
      for (let i = 0; i < k; i++) {
        const t = performance.now();
        samples.push(await one());
        if (sessions) {
          await log.until(calls);
          totals.push(performance.now() - t);
        }
        await sleep(GAP_MS);
      }
      return samples;
    },
    stop: async () => {
      client.close();
      await stopTree(server.child);
    },
    output: server.output,
  };
}

async function lambdaChild(name, env) {
  const token = randomBytes(16).toString("hex");
  const root = stateRoot(`lambda-${name}`);
  const child = spawn(process.execPath, [path.join(here, "lambda-child.js")], {
    cwd: here,
    env: {
      PATH: process.env.PATH,
      HOME: root,
      JUPYTER_STATE_ROOT: root,
      LANG: "C.UTF-8",
      LOG_LEVEL: "error",
      MCP_AUTH_TOKENS: `${name}=${token}`,
      BENCH_LAMBDA_TOKEN: token,
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr.on("data", (d) => (errors = (errors + d).slice(-4000)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`lambda child ${name} exited: ${errors.slice(-600)}`);
    const msg = JSON.parse(value);
    if (msg.error) throw new Error(`lambda child ${name}: ${msg.error}`);
    return msg;
  };
  await next();
  return {
    block: async (k) => {
      child.stdin.write(`${k}\n`);
      return (await next()).samples;
    },
    stop: async () => {
      child.stdin.end();
      await stopTree(child);
    },
  };
}

/** n timed calls per path (after 20 warm-up calls each), all paths interleaved. */
export async function sessionWarm(aws, n) {
  const envs = variants(aws);
  const started = [];
  try {
    const http = {};
    const lambda = {};
    for (const [name, env] of Object.entries(envs)) {
      http[name] = await httpServer(`http-${name}`, env);
      started.push(http[name]);
    }
    for (const [name, env] of Object.entries(envs)) {
      lambda[name] = await lambdaChild(`lambda-${name}`, env);
      started.push(lambda[name]);
    }
    const paths = {};
    for (const name of Object.keys(envs)) paths[`http-${name}`] = http[name].backToBack;
    for (const name of Object.keys(envs)) paths[`paced-${name}`] = http[name].paced;
    for (const name of Object.keys(envs)) paths[`lambda-${name}`] = lambda[name].block;
    const result = await interleave(paths, n);
    const log = http.sessions.log.state;
    // The first 20 paced calls are interleave()'s warm-up.
    result.pacedTotal = stats(http.sessions.totals.slice(20));
    // Logged: the first call, 20 warm-up calls back-to-back and 20 paced, then the timed ones of both.
    result.serverCheckpoint = stats(log.durations.slice(41));
    result.checkpoints = { done: log.done, failed: log.failed, errors: log.errors.slice(0, 3) };
    return result;
  } finally {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
  }
}
