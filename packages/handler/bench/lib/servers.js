// The servers measured over HTTP in one run: ours (`node dist/server.js`), the original's design
// (`python3 bench/original.py`) and, from baseline.js, an earlier revision of ours. Each is timed
// from spawn to the first `1+1` result; the warm `1+1` calls (warm.js) go through the same
// keep-alive client.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expectTwo, keepAliveClient } from "./client.js";
import { spawnServer, stateRoot, stopTree, treeMemory } from "./procs.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = path.resolve(here, "../../dist");
export const python = process.env.JUPYTER_PYTHON ?? "/usr/bin/python3";

/** What a server is started with: only PATH from our environment, never our credentials. */
const baseEnv = (label) => {
  const root = stateRoot(label);
  return { PATH: process.env.PATH, HOME: root, JUPYTER_STATE_ROOT: root, LANG: "C.UTF-8" };
};

/** `node <distDir>/server.js`, started the same way for ours and for a baseline build (baseline.js). */
export const nodeServer = (label, distDir) => ({
  label,
  spawn: (env = {}) =>
    spawnServer(process.execPath, [path.join(distDir, "server.js")], {
      ...baseEnv(label),
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      ...env,
    }),
});

export const ours = nodeServer("ours", dist);

const originalServer = (label, extra = {}) => ({
  label,
  spawn: () => {
    const env = baseEnv("original");
    return spawnServer(python, [path.join(here, "..", "original.py")], {
      ...env,
      WORKDIR: env.HOME,
      HOST: "127.0.0.1",
      PORT: "0",
      ...extra,
    });
  },
});

/** The original's design as werkzeug serves it (Nagle on, a connection per call). */
export const original = originalServer("original");
/** The same with TCP_NODELAY: what the design costs without the delayed-ACK stalls. */
export const originalNoDelay = originalServer("original (TCP_NODELAY)", { ORIGINAL_NODELAY: "1" });

/**
 * One cold start of `server`: spawn -> listening -> first `1+1` answered, in ms. The server stays
 * up, with a memory reading taken after that first call; `stop()` ends it and all it started.
 */
export async function coldStart(server, { token, env } = {}) {
  const started = await server.spawn(token ? { ...env, MCP_AUTH_TOKEN: token } : env);
  const client = keepAliveClient(started.url, { token });
  const stop = async () => {
    client.close();
    await stopTree(started.child);
  };
  try {
    expectTwo(await client.execute("1+1"));
    const ms = performance.now() - started.startedAt;
    return { ms, memory: treeMemory(started.child.pid), url: started.url, client, stop };
  } catch (err) {
    await stop();
    throw new Error(`${server.label}: ${(err && err.message) || err}\n${started.output().slice(-800)}`);
  }
}
