// The session agent on real kernels, without a server: namespaces of numpy arrays, pandas
// DataFrames and small Python objects are built in one kernel (that build is the "re-run the
// cells" figure), checkpointed into a local directory, and restored into a fresh kernel. For one
// size the checkpoint also goes to s3rver and back through the handler's CheckpointStore; and a
// 500 MB namespace measures the incremental checkpoint after `x = 1`.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dist } from "./servers.js";
import { stateRoot } from "./procs.js";
import { median } from "./stats.js";

export const MB = 1_000_000;
/** Each variable stays at most this big, under the server's MCP_CHECKPOINT_MAX_VARIABLE_BYTES (256 MiB). */
const PER_VARIABLE = 100 * MB;
/** The server's default MCP_CHECKPOINT_MAX_VARIABLE_BYTES. */
export const DEFAULT_LIMIT = 268_435_456;
/** The server's agent timeout is 120 s and the agent stops starting pickles after 80 % of it. */
export const SERVER_AGENT_BUDGET_MS = 96_000;
const LONG = 900_000;
/** Pickled bytes per record of the small-objects kind (a 4-key dict), measured: about 40. */
const RECORD_BYTES = 40;
/** What a record takes in a kernel's memory (dict, str, float, int, list slot), measured: about 330. */
export const RECORD_MEMORY_BYTES = 330;
/** Records are capped here (about 420 MB pickled, some 3.3 GB in each kernel's memory). */
const MAX_RECORDS = 10_000_000;

const chunks = (total, cap) => {
  const k = Math.max(1, Math.ceil(total / cap));
  return Array.from({ length: k }, () => Math.floor(total / k));
};

/**
 * The three kinds. `build(bytes)` -> { code, label, scaled? }: the cell that makes the namespace;
 * `summary` a Python expression (JSON-able) to check that a restore brought back the same values.
 */
export const KINDS = {
  numpy: {
    title: "numpy arrays (float64)",
    build(bytes) {
      const sizes = chunks(bytes, PER_VARIABLE);
      const lines = ["import numpy as np"];
      sizes.forEach((b, i) =>
        lines.push(`arr${i} = np.random.default_rng(${i}).random(${Math.floor(b / 8)})`),
      );
      return { code: lines.join("\n"), label: `${sizes.length} array(s)`, vars: sizes.length };
    },
    summary: "[float(v.sum()) for k, v in sorted(globals().items()) if k.startswith('arr')]",
  },
  pandas: {
    title: "pandas DataFrames (5 float, int, datetime, category)",
    build(bytes) {
      // 5 float64 + int64 + datetime64 + int8 category codes = 57 bytes a row.
      const sizes = chunks(bytes, PER_VARIABLE);
      const lines = [
        "import numpy as np, pandas as pd",
        "def _frame(seed, rows):",
        "    rng = np.random.default_rng(seed)",
        "    cols = {f'f{j}': rng.random(rows) for j in range(5)}",
        "    cols['n'] = rng.integers(0, 1 << 40, rows)",
        "    cols['t'] = pd.date_range('2020-01-01', periods=rows, freq='s')",
        "    cols['cat'] = pd.Categorical.from_codes(rng.integers(0, 8, rows), list('abcdefgh'))",
        "    return pd.DataFrame(cols)",
      ];
      sizes.forEach((b, i) => lines.push(`df${i} = _frame(${i}, ${Math.floor(b / 57)})`));
      return { code: lines.join("\n"), label: `${sizes.length} frame(s)`, vars: sizes.length };
    },
    summary: "[[len(v), float(v['f0'].sum())] for k, v in sorted(globals().items()) if k.startswith('df')]",
  },
  objects: {
    title: "small Python objects (4-key dicts in lists)",
    build(bytes) {
      const wanted = Math.round(bytes / RECORD_BYTES);
      const total = Math.min(wanted, MAX_RECORDS);
      const sizes = chunks(total, PER_VARIABLE / RECORD_BYTES);
      const lines = [];
      let start = 0;
      sizes.forEach((n, i) => {
        lines.push(
          `records${i} = [{"id": i, "name": f"item-{i}", "score": i * 0.5, "ok": i % 2 == 0} for i in range(${start}, ${start + n})]`,
        );
        start += n;
      });
      const label = `${fmtCount(total)} objects`;
      return {
        code: lines.join("\n"),
        label: total < wanted ? `${label} (capped)` : label,
        vars: sizes.length,
        scaled: total < wanted ? { wanted, total } : undefined,
      };
    },
    summary:
      "[[len(v), sum(r['id'] for r in v)] for k, v in sorted(globals().items()) if k.startswith('records')]",
  },
};

const fmtCount = (n) =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(0)}k` : `${n}`;

/** A Python expression evaluated without running a cell (no hook, no history), as JSON. */
function peek(session, expr) {
  const json = `__import__("json").dumps(${expr})`;
  return session.internal("", `(lambda j: type("J", (), {"__repr__": lambda s: j})())(${json})`, LONG);
}

async function run(session, code) {
  const t = performance.now();
  const result = await session.execute(code, { timeoutMs: LONG });
  const ms = performance.now() - t;
  if (result.status !== "ok")
    throw new Error(`cell failed (${result.status}): ${JSON.stringify(result.outputs).slice(0, 300)}`);
  return ms;
}

/** Bytes of the files a checkpoint wrote (each file once). */
function writtenBytes(delta) {
  const written = new Set(delta.written);
  const seen = new Set();
  let bytes = 0;
  for (const v of Object.values(delta.variables)) {
    if (written.has(v.sha256) && !seen.has(v.sha256)) {
      seen.add(v.sha256);
      bytes += v.bytes;
    }
  }
  return bytes;
}

/** The manifest the coordinator would store for a delta (coordinator.ts save()). */
function manifestOf(caller, version, delta) {
  return {
    format: 1,
    caller,
    version,
    createdAt: new Date().toISOString(),
    executionCount: delta.executionCount,
    cwd: delta.cwd,
    imports: delta.imports,
    sysPath: delta.sysPath,
    variables: delta.variables,
    notes: [],
  };
}

/** Everything the agent figures need: a pool of real kernels, the agent, and (optionally) s3rver. */
export async function openAgentBench({ aws } = {}) {
  const [{ loadConfig }, { createKernelPool }, { createLogger }, agent, { CheckpointStore }, lease] =
    await Promise.all([
      import(path.join(dist, "config.js")),
      import(path.join(dist, "kernel/create.js")),
      import(path.join(dist, "log.js")),
      import(path.join(dist, "sessions/agent.js")),
      import(path.join(dist, "sessions/checkpoint-store.js")),
      import(path.join(dist, "sessions/lease.js")),
    ]);
  const config = loadConfig({
    JUPYTER_STATE_ROOT: stateRoot("sessions-agent"),
    MCP_SPARE_KERNELS: "0",
    MCP_MAX_KERNELS: "4",
    MCP_KERNEL_IDLE_SECONDS: "0",
    LOG_LEVEL: "error",
  });
  const pool = await createKernelPool(config, createLogger("error"));
  const client = aws ? await aws.s3Client() : undefined;
  const store = client
    ? new CheckpointStore({
        client,
        bucket: aws.bucket,
        prefix: "workspaces/",
        key: randomBytes(32),
      })
    : undefined;
  let n = 0;
  const temps = [];
  const temp = (label) => {
    const dir = mkdtempSync(path.join(tmpdir(), `jmcp-bench-ck-${label}-`));
    temps.push(dir);
    return dir;
  };
  /** A new caller: a new kernel, started (not timed) and empty. */
  const fresh = async (label) => {
    const session = pool.session(`bench-${label}-${++n}`);
    await run(session, "1");
    return session;
  };

  /**
   * One namespace: build it (the re-run figure), checkpoint it in full, restore it into a fresh
   * kernel; with `s3`, upload the checkpoint to s3rver and download it before the restore.
   */
  async function namespace(kind, bytes, { s3 = false } = {}) {
    const spec = KINDS[kind].build(bytes);
    const out = { kind, bytes, label: spec.label, scaled: spec.scaled };
    const a = await fresh(`${kind}-a`);
    const dir = temp("a");
    let b;
    try {
      await agent.installAgent(a);
      out.rerunMs = await run(a, spec.code);
      const expected = await peek(a, KINDS[kind].summary);
      const delta = await agent.checkpoint(a, { dir, maxVariableBytes: DEFAULT_LIMIT, timeoutMs: LONG });
      out.checkpointMs = delta.durationMs;
      out.checkpointBytes = writtenBytes(delta);
      out.files = delta.written.length;
      out.left = [...delta.skipped, ...delta.unpicklable].map((s) => `${s.name}: ${s.reason}`);
      let from = dir;
      if (s3 && store) {
        const manifest = manifestOf("bench", 1, delta);
        let t = performance.now();
        const pointer = await store.save(manifest, delta.written, dir);
        out.uploadMs = performance.now() - t;
        from = temp("down");
        t = performance.now();
        const stored = await store.manifest("bench", pointer);
        await store.download(stored, from);
        out.downloadMs = performance.now() - t;
      }
      // The first kernel's memory is not needed any more: free it before the second fills up.
      await a.shutdown("bench: checkpointed");
      b = await fresh(`${kind}-b`);
      const t = performance.now();
      await agent.installAgent(b);
      const report = await agent.restore(b, { dir: from, manifest: delta, timeoutMs: LONG });
      out.restoreMs = performance.now() - t;
      out.restoreAgentMs = report.durationMs;
      out.failed = report.failed.map((f) => `${f.name}: ${f.reason}`);
      out.same = JSON.stringify(await peek(b, KINDS[kind].summary)) === JSON.stringify(expected);
      return out;
    } finally {
      await Promise.all([a.shutdown("bench: done"), b?.shutdown("bench: done")]);
      for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
    }
  }

  /**
   * Incremental checkpoints: one `bytes` numpy array, checkpointed in full once (limit raised so
   * it is included), then `x = i` and a checkpoint against the previous manifest, `rounds` times.
   */
  async function incremental(bytes, rounds = 5) {
    const limit = 2 * bytes;
    const a = await fresh("incremental");
    const dir = temp("inc");
    try {
      await agent.installAgent(a);
      await run(a, `import numpy as np\nbig = np.random.default_rng(7).random(${Math.floor(bytes / 8)})`);
      const full = await agent.checkpoint(a, { dir, maxVariableBytes: limit, timeoutMs: LONG });
      const out = { bytes, limit, fullMs: full.durationMs, fullBytes: writtenBytes(full), rounds: [] };
      let version = 1;
      let previous = full;
      if (store) {
        const t = performance.now();
        await store.save(manifestOf("bench-inc", version, full), full.written, dir);
        out.fullUploadMs = performance.now() - t;
      }
      for (let i = 1; i <= rounds; i++) {
        await run(a, `x = ${i}`);
        const t = performance.now();
        // What the coordinator does per call: the agent ping (installAgent), then the checkpoint.
        await agent.installAgent(a);
        const delta = await agent.checkpoint(a, {
          dir,
          maxVariableBytes: limit,
          previous: previous.variables,
          timeoutMs: LONG,
        });
        const agentMs = performance.now() - t;
        let saveMs;
        if (store) {
          const s = performance.now();
          await store.save(manifestOf("bench-inc", ++version, delta), delta.written, dir);
          saveMs = performance.now() - s;
        }
        out.rounds.push({
          checkpointMs: delta.durationMs,
          agentMs,
          saveMs,
          written: delta.written.length,
          writtenBytes: writtenBytes(delta),
          rewroteBig: delta.variables.big?.sha256 !== full.variables.big?.sha256,
        });
        previous = delta;
      }
      const pick = (f) => out.rounds.map(f).filter(Number.isFinite);
      out.checkpointP50 = median(pick((r) => r.checkpointMs));
      out.checkpointMax = Math.max(...pick((r) => r.checkpointMs));
      out.agentP50 = median(pick((r) => r.agentMs));
      out.withSaveP50 = store ? median(pick((r) => r.agentMs + r.saveMs)) : undefined;
      return out;
    } finally {
      await a.shutdown("bench: done");
      for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
    }
  }

  /**
   * The coordinator's per-call work, step by step, for a call that ran `1+1` in an empty
   * namespace: lease acquire, agent ping + checkpoint, manifest upload (no new pickles), commit,
   * release, against the same stand-ins (dynalite, s3rver). `n` rounds after 10 untimed.
   */
  async function steps(n = 50) {
    if (!store) throw new Error("needs s3rver and dynalite");
    const leases = new lease.SessionLeases({
      tableName: aws.table,
      endpoint: aws.dynamoEndpoint,
      owner: lease.defaultLeaseOwner(),
      leaseMs: 15_000,
    });
    const a = await fresh("steps");
    const dir = temp("steps");
    const parts = { acquire: [], checkpoint: [], upload: [], commit: [], release: [], total: [] };
    try {
      await agent.installAgent(a);
      let previous;
      for (let i = 0; i < n + 10; i++) {
        await run(a, "1+1");
        const t = [performance.now()];
        const held = await leases.acquire("default", 10_000);
        t.push(performance.now());
        await agent.installAgent(a);
        const delta = await agent.checkpoint(a, {
          dir,
          maxVariableBytes: DEFAULT_LIMIT,
          ...(previous ? { previous } : {}),
        });
        t.push(performance.now());
        const manifest = manifestOf("bench-steps", held.version + 1, delta);
        const pointer = await store.save(manifest, delta.written, dir);
        t.push(performance.now());
        await held.commit({ version: manifest.version, checkpoint: { ...pointer } });
        t.push(performance.now());
        await held.release();
        t.push(performance.now());
        previous = delta.variables;
        if (i < 10) continue;
        Object.keys(parts).forEach((k, j) => parts[k].push(k === "total" ? t[5] - t[0] : t[j + 1] - t[j]));
      }
      return Object.fromEntries(Object.entries(parts).map(([k, xs]) => [k, median(xs)]));
    } finally {
      await leases.close();
      await a.shutdown("bench: done");
      for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
    }
  }

  return {
    namespace,
    incremental,
    steps,
    close: async () => {
      await pool.close();
      client?.destroy();
    },
  };
}
