// Warm `1+1` figures measured interleaved: the floor, the original's design and ours take turns in
// small blocks, in a rotating order, so a burst of load on a shared machine lands on all of them
// instead of skewing whichever ran at that moment. Each path: `block(k)` -> k samples in ms.
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expectTwo } from "./client.js";
import { stateRoot } from "./procs.js";
import { python } from "./servers.js";
import { stats } from "./stats.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** bench/floor.py --serve: one jupyter_client kernel that answers "run k samples" requests. */
export async function startFloor() {
  const child = spawn(python, [path.join(here, "..", "floor.py"), "--serve"], {
    env: { PATH: process.env.PATH, HOME: stateRoot("floor") },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("floor.py exited");
    return JSON.parse(value);
  };
  await next(); // {"ready": true}
  return {
    block: async (k) => {
      child.stdin.write(`${k}\n`);
      return next();
    },
    stop: () => {
      child.stdin.end();
      return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
    },
  };
}

/**
 * The cold floor: `floor.py --cold` from its spawn to its line, what jupyter_client alone takes to
 * bring up a kernel and answer `1+1` (no HTTP, no server). Resolves { ms, kernelMs }.
 */
export async function coldFloor() {
  const startedAt = performance.now();
  const child = spawn(python, [path.join(here, "..", "floor.py"), "--cold"], {
    env: { PATH: process.env.PATH, HOME: stateRoot("floor-cold") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const { value, done } = await lines.next();
  const ms = performance.now() - startedAt;
  if (done) throw new Error(`floor.py --cold printed nothing: ${stderr.slice(-400)}`);
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  return { ms, kernelMs: JSON.parse(value).kernelMs };
}

/** k sequential calls of `call`, each timed. */
export const timedBlock = (call) => async (k) => {
  const samples = [];
  for (let i = 0; i < k; i++) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  return samples;
};

/** A block of `1+1` calls through one of our keep-alive clients. */
export const httpBlock = (client) => timedBlock(async () => expectTwo(await client.execute("1+1")));

/**
 * `paths` is { name: block }. 20 warm-up calls each, then `n` timed calls each in blocks of
 * `size`, the order rotating every round. Returns { name: stats }.
 */
export async function interleave(paths, n, size = 20) {
  const names = Object.keys(paths);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (const name of names) await paths[name](20);
  for (let round = 0; samples[names[0]].length < n; round++) {
    const k = Math.min(size, n - samples[names[0]].length);
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      samples[name].push(...(await paths[name](k)));
    }
  }
  return Object.fromEntries(names.map((name) => [name, stats(samples[name])]));
}
