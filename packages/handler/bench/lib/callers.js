// Many callers at once, each with its own named token (MCP_AUTH_TOKENS="name=token,…") and so,
// with the per-caller engine, its own kernel. Every call prints a marker unique to the caller and
// the call; a response must carry exactly its own marker, never another call's. A variable set by
// each caller's first call, read back after its last, tells whether the kernels are separate.
import { randomBytes } from "node:crypto";
import { keepAliveClient, resultText } from "./client.js";
import { ours } from "./servers.js";
import { stopTree, treeMemory } from "./procs.js";
import { stats } from "./stats.js";

const MARKER = /\bcaller\d+-\d+\b/g;

/** Throws unless `text` holds `expected` and no other marker. */
function checkMarkers(text, expected) {
  const found = new Set(text.match(MARKER) ?? []);
  if (found.size !== 1 || !found.has(expected)) {
    throw new Error(`expected only ${expected}, got [${[...found].join(", ")}]`);
  }
}

export async function manyCallers({ callers, calls }) {
  const names = Array.from({ length: callers }, (_, i) => `caller${i + 1}`);
  // Fresh random tokens per run: nothing here is a credential anyone else uses.
  const tokens = Object.fromEntries(names.map((n) => [n, randomBytes(16).toString("hex")]));
  const spec = names.map((n) => `${n}=${tokens[n]}`).join(",");
  const server = await ours.spawn({ MCP_AUTH_TOKENS: spec });
  const clients = names.map((n) => keepAliveClient(server.url, { token: tokens[n] }));
  const result = { callers, calls, mixed: [], errors: [], perCaller: [] };
  try {
    // First calls start each caller's kernel (all at once): timed apart from the steady state.
    const firsts = await Promise.all(
      names.map(async (name, c) => {
        const t = performance.now();
        const msg = await clients[c].execute(`_bench_me = "${name}"\nprint("${name}-0")`);
        checkMarkers(resultText(msg), `${name}-0`);
        return performance.now() - t;
      }),
    );
    result.firstCalls = stats(firsts);
    result.memoryFirst = treeMemory(server.child.pid);
    const t0 = performance.now();
    result.perCaller = await Promise.all(
      names.map(async (name, c) => {
        const samples = [];
        for (let i = 1; i <= calls; i++) {
          const t = performance.now();
          try {
            const text = resultText(await clients[c].execute(`print("${name}-${i}")`));
            samples.push(performance.now() - t);
            checkMarkers(text, `${name}-${i}`);
          } catch (err) {
            (String(err.message).startsWith("expected only") ? result.mixed : result.errors).push(
              `${name}-${i}: ${err.message}`,
            );
          }
        }
        return { name, ...stats(samples) };
      }),
    );
    result.wallMs = performance.now() - t0;
    result.memoryAfter = treeMemory(server.child.pid);
    // Which caller's variable each caller's kernel holds now.
    const seen = await Promise.all(
      names.map(async (name, c) => {
        const text = resultText(await clients[c].execute(`print("isolation", _bench_me)`));
        return /isolation (\S+)/.exec(text)?.[1] === name;
      }),
    );
    result.separateKernels = seen.filter(Boolean).length;
    result.authenticated = await refusesWithoutToken(server.url);
    return result;
  } catch (err) {
    throw new Error(`${err.message}\n${server.output().slice(-800)}`);
  } finally {
    for (const client of clients) client.close();
    await stopTree(server.child);
  }
}

/** Whether the server asked for a token at all (it ignores MCP_AUTH_TOKENS until the engine lands). */
async function refusesWithoutToken(url) {
  const anonymous = keepAliveClient(url);
  try {
    await anonymous.execute("1+1");
    return false;
  } catch (err) {
    return /HTTP 401/.test(err.message);
  } finally {
    anonymous.close();
  }
}
