import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ExecutionResult } from "../src/kernel/execution.js";
import type { KernelSession } from "../src/kernel/session.js";
import {
  checkpoint,
  dirtyNames,
  installAgent,
  restore,
  type CheckpointDelta,
  type ManifestVariables,
} from "../src/sessions/agent.js";
import { outputText, startPool, type PoolUnderTest } from "./support/kernels.js";

// The checkpoint agent against real kernels: state checkpointed in one caller's kernel is restored
// into another's, as when a session moves to a new process.
let under: PoolUnderTest;
let n = 0;
const temps: string[] = [];

beforeAll(async () => {
  under = await startPool("direct", { MCP_SPARE_KERNELS: "0" });
});
afterAll(async () => {
  await under?.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A new caller, so a new kernel. */
function kernel(): KernelSession {
  return under.pool.session(`agent-${++n}`);
}

function temp(label: string): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), `jmcp-agent-${label}-`)));
  temps.push(dir);
  return dir;
}

async function run(session: KernelSession, code: string): Promise<ExecutionResult> {
  const result = await session.execute(code, { timeoutMs: 120_000 });
  if (result.status !== "ok") throw new Error(`cell failed: ${outputText(result)}`);
  return result;
}

/** Evaluates a Python expression in the kernel without running a cell (no hook, no count) and returns it as JSON. */
function peek(session: KernelSession, expr: string): Promise<unknown> {
  const json = `__import__("json").dumps(${expr})`;
  return session.internal("", `(lambda j: type("J", (), {"__repr__": lambda s: j})())(${json})`, 30_000);
}

const MB = 1_000_000;
const options = (dir: string, previous?: ManifestVariables) => ({
  dir,
  maxVariableBytes: 200 * MB,
  ...(previous ? { previous } : {}),
});

function changedNames(delta: CheckpointDelta): string[] {
  return Object.keys(delta.variables)
    .filter((name) => delta.written.includes(delta.variables[name]!.sha256))
    .sort();
}

describe("the session agent (checkpoint and restore in real kernels)", () => {
  test("many kinds of variables, imports, sys.path, cwd and the execution count move to another kernel", async () => {
    const a = kernel();
    const dir = temp("ck");
    const work = temp("cwd");
    const extra = temp("path");
    writeFileSync(path.join(extra, "helpermod.py"), "VALUE = 'from helpermod'\n");
    await run(
      a,
      [
        "import os, sys, threading, socket",
        "import numpy as np",
        "import pandas as pd",
        "from math import sqrt",
        "from collections import OrderedDict",
        `sys.path.insert(0, ${JSON.stringify(extra)})`,
        "import helpermod",
        `os.chdir(${JSON.stringify(work)})`,
        "n = 42; s = 'héllo'; ratio = 2.5; items = [1, 'two', 3.0]; conf = {'k': [1, 2], 't': (1, 2)}",
        "arr = np.arange(12, dtype=np.float32).reshape(3, 4)",
        "df = pd.DataFrame({'a': [1, 2, 3], 'b': list('xyz')})",
        "scale = 10",
        "def scaled(v):",
        "    return v * scale",
        "square = lambda v: v * v",
        "class Counter:",
        "    def __init__(self, start):",
        "        self.count = start",
        "    def bump(self):",
        "        self.count += 1",
        "        return self.count",
        "counter = Counter(5)",
        "first = second = [1, 2]",
        "od = OrderedDict(a=1)",
        "fh = open('notes.txt', 'w'); gen = (i for i in range(3)); lock = threading.Lock(); sock = socket.socket()",
      ].join("\n"),
    );
    const last = await run(a, "n = n + 0");
    const delta = await checkpoint(a, options(dir));

    expect(delta.unpicklable.map((u) => u.name).sort()).toEqual(["fh", "gen", "lock", "sock"]);
    expect(Object.fromEntries(delta.unpicklable.map((u) => [u.name, u.type]))).toEqual({
      fh: "_io.TextIOWrapper",
      gen: "generator",
      lock: "_thread.lock",
      sock: "socket.socket",
    });
    expect(delta.unpicklable.find((u) => u.name === "fh")?.reason).toMatch(/open file/);
    expect(delta.skipped).toEqual([]);
    expect(delta.imports).toEqual(
      expect.arrayContaining([
        { alias: "np", module: "numpy" },
        { alias: "pd", module: "pandas" },
        { alias: "helpermod", module: "helpermod" },
        { alias: "sqrt", module: "math", name: "sqrt" },
        { alias: "OrderedDict", module: "collections", name: "OrderedDict" },
      ]),
    );
    // From-imported functions and classes are imports, not pickles.
    expect(Object.keys(delta.variables)).not.toContain("sqrt");
    expect(delta.variables.first?.file).toBe(delta.variables.second?.file);
    expect(delta.variables.first?.group).toBe("first,second");
    expect(delta.variables.arr?.type).toBe("numpy.ndarray");
    expect(delta.variables.counter?.type).toBe("__main__.Counter");
    expect(delta.cwd).toBe(work);
    expect(delta.sysPath).toContain(extra);
    expect(delta.sysPath).not.toContain("");
    expect(delta.executionCount).toBe(last.executionCount);
    expect(delta.deleted).toEqual([]);
    // Content-addressed: every file is named by the sha256 of its bytes, and only files are left.
    const files = new Set(Object.values(delta.variables).map((v) => v.file));
    expect(new Set(delta.written.map((sha) => `${sha}.pkl`))).toEqual(files);
    expect(readdirSync(dir).sort()).toEqual([...files].sort());
    for (const entry of Object.values(delta.variables)) {
      const bytes = readFileSync(path.join(dir, entry.file));
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(entry.sha256);
      expect(bytes.length).toBe(entry.bytes);
    }

    const b = kernel();
    await run(b, "1");
    const report = await restore(b, { dir, manifest: delta });
    expect(report.failed).toEqual([]);
    expect(report.imports).toEqual({ restored: delta.imports.length, failed: [] });
    expect(report.restored).toEqual(Object.keys(delta.variables).sort());
    expect(report.notes).toEqual([]);
    expect(
      await peek(
        b,
        "[n, s, ratio, items, conf, arr.tolist(), str(arr.dtype), df.to_dict('list'), scaled(3), square(4), " +
          "counter.bump(), isinstance(counter, Counter), type(counter).__name__, first is second, first, " +
          "sqrt(16), np.__name__, OrderedDict is __import__('collections').OrderedDict, od['a'], helpermod.VALUE, " +
          `__import__('os').getcwd(), ${JSON.stringify(extra)} in __import__('sys').path, ` +
          "[k for k in ('fh', 'gen', 'lock', 'sock') if k in globals()]]",
      ),
    ).toEqual([
      42,
      "héllo",
      2.5,
      [1, "two", 3.0],
      { k: [1, 2], t: [1, 2] },
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10, 11],
      ],
      "float32",
      { a: [1, 2, 3], b: ["x", "y", "z"] },
      30,
      16,
      6,
      true,
      "Counter",
      true,
      [1, 2],
      4.0,
      "numpy",
      true,
      1,
      "from helpermod",
      work,
      true,
      [],
    ]);
    // A restored function reads the live globals of its new kernel, and the class works.
    await run(b, "scale = 100\nlater = Counter(1); later.bump()");
    expect(await peek(b, "[scaled(3), later.count, type(later) is type(counter)]")).toEqual([300, 2, true]);
    // The next cell continues the execution count.
    const next = await b.execute("pass", { timeoutMs: 30_000 });
    expect(next.executionCount).toBe(delta.executionCount + 2);
  });

  test("right after a restore, a checkpoint against the restored manifest writes nothing", async () => {
    const a = kernel();
    const dir = temp("ck");
    await run(a, "import numpy as np\nx = 1\nvals = np.arange(5)\nnames = ['a']\ndef f():\n    return x");
    const delta = await checkpoint(a, options(dir));
    const b = kernel();
    await restore(b, { dir, manifest: delta });
    const again = await checkpoint(b, options(temp("ck"), delta.variables));
    expect(again.written).toEqual([]);
    expect(again.deleted).toEqual([]);
    expect(again.variables).toEqual(delta.variables);
    expect(again.executionCount).toBe(delta.executionCount);
  });

  test("incremental checkpoints write exactly what changed, including mutations through functions", async () => {
    const s = kernel();
    const dir = temp("ck");
    await run(
      s,
      [
        "a1 = [1]; a2 = {'x': 1}; a3 = 'three'; data = []; log = []",
        "def add():",
        "    data.append(1)",
        "def inner():",
        "    data.append(2)",
        "def outer():",
        "    inner()",
        "class Logger:",
        "    def write(self, m):",
        "        log.append(m)",
        "logger = Logger()",
        "alias = a1",
        "import numpy as np",
        "base = np.arange(10)",
        "view = base[2:5]",
      ].join("\n"),
    );
    const c1 = await checkpoint(s, options(dir));
    expect(c1.written.length).toBe(new Set(Object.values(c1.variables).map((v) => v.sha256)).size);

    const c2 = await checkpoint(s, options(dir, c1.variables));
    expect(c2.written).toEqual([]);
    expect(c2.variables).toEqual(c1.variables);

    await run(s, "a2['x'] = 2");
    const c3 = await checkpoint(s, options(dir, c2.variables));
    expect(c3.written).toHaveLength(1);
    expect(changedNames(c3)).toEqual(["a2"]);

    // data is never named by the cell: add's globals (co_names) are.
    await run(s, "add()");
    expect((await dirtyNames(s)).names).toEqual(expect.arrayContaining(["add", "data"]));
    const c4 = await checkpoint(s, options(dir, c3.variables));
    expect(changedNames(c4)).toEqual(["data"]);

    // Two calls deep, and through a method of a class defined in a cell.
    await run(s, "outer()");
    const c5 = await checkpoint(s, options(dir, c4.variables));
    expect(changedNames(c5)).toEqual(["data"]);
    await run(s, "logger.write('hi')");
    const c6 = await checkpoint(s, options(dir, c5.variables));
    expect(changedNames(c6)).toEqual(["log"]);

    // One object under two names is one file: mutating it through one name rewrites it.
    await run(s, "alias.append(5)");
    const c7 = await checkpoint(s, options(dir, c6.variables));
    expect(c7.written).toHaveLength(1);
    expect(changedNames(c7)).toEqual(["a1", "alias"]);

    // A numpy view shares its base's memory: writing through the base changes the view.
    await run(s, "base[3] = 99");
    const c7b = await checkpoint(s, options(dir, c7.variables));
    expect(changedNames(c7b)).toEqual(["base", "view"]);

    await run(s, "del a3");
    const c8 = await checkpoint(s, options(dir, c7b.variables));
    expect(c8.deleted).toEqual(["a3"]);
    expect(c8.written).toEqual([]);
    expect(Object.keys(c8.variables)).not.toContain("a3");

    const b = kernel();
    const report = await restore(b, { dir, manifest: c8 });
    expect(report.failed).toEqual([]);
    expect(await peek(b, "[a1, alias is a1, a2, data, log, 'a3' in globals(), view.tolist()]")).toEqual([
      [1, 5],
      true,
      { x: 2 },
      [1, 2],
      ["hi"],
      false,
      [2, 99, 4],
    ]);
  });

  test("the hook reads magics, top-level await and dynamic rebinding", async () => {
    const s = kernel();
    await installAgent(s);
    await run(s, "%time q = [1]");
    await run(s, "import asyncio\nawait asyncio.sleep(0)\nr = 1");
    await run(s, "%%capture captured\nw = 2");
    expect(await dirtyNames(s)).toEqual({
      names: expect.arrayContaining(["q", "asyncio", "r", "captured", "w"]),
      all: false,
    });
    // A cell that does not compile ran nothing.
    await s.execute("def broken(:", { timeoutMs: 30_000 });
    expect((await dirtyNames(s)).all).toBe(false);
    // exec can rebind any name: nothing is trusted until the next checkpoint.
    await run(s, "exec('q = 5')");
    expect((await dirtyNames(s)).all).toBe(true);
    await checkpoint(s, options(temp("ck")));
    expect(await dirtyNames(s)).toEqual({ names: [], all: false });
  });

  test("variables referring to each other keep their identity, and a rebinding rewrites the referrer", async () => {
    const a = kernel();
    const dir = temp("ck");
    await run(a, "shared = [1]\nholder = {'s': shared}\np = []\nq = [p]\np.append(q)");
    const c1 = await checkpoint(a, options(dir));
    // A cycle between variables cannot be loaded one before the other: it is one file.
    expect(c1.variables.p?.group).toBe("p,q");
    expect(c1.variables.holder?.file).not.toBe(c1.variables.shared?.file);
    const b = kernel();
    await restore(b, { dir, manifest: c1 });
    expect(await peek(b, "[holder['s'] is shared, p[0] is q, q[0] is p]")).toEqual([true, true, true]);

    // holder still holds the old list: its file, which referred to `shared`, is written again.
    await run(a, "shared = [2]");
    const c2 = await checkpoint(a, options(dir, c1.variables));
    expect(changedNames(c2)).toEqual(["holder", "shared"]);
    const c = kernel();
    await restore(c, { dir, manifest: c2 });
    expect(await peek(c, "[holder['s'], shared, holder['s'] is shared]")).toEqual([[1], [2], false]);
  });

  test("a variable over maxVariableBytes is skipped with a note, without a leftover file", async () => {
    const s = kernel();
    const dir = temp("ck");
    await run(
      s,
      "import numpy as np\nbig = np.zeros(2_000_000)\nmany = list(range(1_000_000))\nok = [1, 2, 3]",
    );
    const delta = await checkpoint(s, { dir, maxVariableBytes: MB });
    const reasons = Object.fromEntries(delta.skipped.map((x) => [x.name, x.reason]));
    expect(Object.keys(reasons).sort()).toEqual(["big", "many"]);
    // Known from the array's size, without pickling it.
    expect(reasons.big).toMatch(/^big is 16\.0 MB, over MCP_CHECKPOINT_MAX_VARIABLE_BYTES \(1\.0 MB\)$/);
    // Found while pickling, which stops at the limit.
    expect(reasons.many).toMatch(/^many is over 1\.0 MB when pickled \(MCP_CHECKPOINT_MAX_VARIABLE_BYTES\)/);
    expect(Object.keys(delta.variables)).toEqual(["ok"]);
    expect(readdirSync(dir)).toEqual([delta.variables.ok?.file]);
    // The kernel's state is untouched.
    expect(await peek(s, "[int(big.size), len(many), ok]")).toEqual([2_000_000, 1_000_000, [1, 2, 3]]);
  });

  test("what cannot be pickled is listed, the call still succeeds, and the variables are untouched", async () => {
    const s = kernel();
    const dir = temp("ck");
    await run(
      s,
      [
        "class Stubborn:",
        "    def __reduce__(self):",
        "        raise RuntimeError('no pickling me')",
        "stubborn = Stubborn()",
        "holder = {'inner': stubborn, 'n': 1}",
        "fine = 'yes'",
      ].join("\n"),
    );
    const delta = await checkpoint(s, options(dir));
    const reasons = Object.fromEntries(delta.unpicklable.map((u) => [u.name, u.reason]));
    expect(reasons.stubborn).toBe("RuntimeError: no pickling me");
    expect(reasons.holder).toBe("refers to stubborn, which is not checkpointed");
    expect(Object.keys(delta.variables).sort()).toEqual(["Stubborn", "fine"]);
    expect(await peek(s, "[holder['n'], fine, type(stubborn).__name__]")).toEqual([1, "yes", "Stubborn"]);
  });

  test("a checkpoint past its timeout is interrupted: no file is left and the variables are kept", async () => {
    const s = kernel();
    const dir = temp("ck");
    await run(
      s,
      [
        "import time",
        "class Slow:",
        "    def __reduce__(self):",
        "        time.sleep(30)",
        "        return (Slow, ())",
        "slow = Slow()",
        "kept = [1, 2]",
      ].join("\n"),
    );
    await expect(checkpoint(s, { ...options(dir), timeoutMs: 1_500 })).rejects.toThrow(
      /The checkpoint failed: .*interrupted/,
    );
    expect(readdirSync(dir)).toEqual([]);
    expect(await peek(s, "[kept, type(slow).__name__]")).toEqual([[1, 2], "Slow"]);
    // The interrupted checkpoint moved nothing on: the next one writes everything.
    await run(s, "del slow");
    const delta = await checkpoint(s, options(dir));
    expect(Object.keys(delta.variables).sort()).toEqual(["Slow", "kept"]);
    expect(delta.written).toHaveLength(2);
  });

  test("a corrupt or undecodable file fails only the variables that need it", async () => {
    const a = kernel();
    const dir = temp("ck");
    await run(a, "good = {'ok': True}\nbad = [1, 2]\ndep = [bad]\nworse = list(range(100))");
    const delta = await checkpoint(a, options(dir));
    const badFile = path.join(dir, delta.variables.bad!.file);
    const bytes = readFileSync(badFile);
    const at = bytes.length - 3;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(badFile, bytes);
    // A file that matches its manifest entry but is not a whole pickle.
    const worse = delta.variables.worse!;
    const truncated = readFileSync(path.join(dir, worse.file)).subarray(0, 40);
    const sha = createHash("sha256").update(truncated).digest("hex");
    writeFileSync(path.join(dir, `${sha}.pkl`), truncated);
    const manifest = {
      ...delta,
      variables: { ...delta.variables, worse: { ...worse, file: `${sha}.pkl`, sha256: sha, bytes: 40 } },
    };

    const b = kernel();
    const report = await restore(b, { dir, manifest });
    const reasons = Object.fromEntries(report.failed.map((f) => [f.name, f.reason]));
    expect(Object.keys(reasons).sort()).toEqual(["bad", "dep", "worse"]);
    expect(reasons.bad).toMatch(/corrupt.*sha256/);
    expect(reasons.dep).toMatch(/needs bad, which could not be restored/);
    expect(reasons.worse).toMatch(/EOFError|UnpicklingError/);
    expect(report.restored).toEqual(["good"]);
    expect(await peek(b, "[good, 'bad' in globals(), 'dep' in globals()]")).toEqual([
      { ok: true },
      false,
      false,
    ]);
  });

  test("installAgent is idempotent, binds nothing in the namespace, and survives a restart", async () => {
    const s = kernel();
    await run(s, "x = 1");
    const before = await peek(s, "sorted(globals())");
    const count = s.status().executionCount;
    for (let i = 0; i < 3; i++) await installAgent(s);
    expect(await peek(s, "sorted(globals())")).toEqual(before);
    expect(s.status().executionCount).toBe(count);
    const hooks =
      "len([c for c in get_ipython().events.callbacks['post_run_cell'] if getattr(c, '__module__', '') == '_jmcp_session'])";
    expect(await peek(s, hooks)).toBe(1);
    expect(await peek(s, "'_jmcp_session' in __import__('sys').modules")).toBe(true);

    await s.restart();
    await run(s, "y = [2]");
    const dir = temp("ck");
    const delta = await checkpoint(s, options(dir));
    expect(Object.keys(delta.variables)).toEqual(["y"]);
    expect(await peek(s, hooks)).toBe(1);
  });

  test("timings: an incremental checkpoint beside a 500 MB array, and a 100 MB restore", async () => {
    const s = kernel();
    const dir = temp("ck");
    mkdirSync(dir, { recursive: true });
    await run(
      s,
      [
        "import numpy as np",
        "big = np.ones(500 * 1000 * 1000 // 8)",
        "m1 = np.ones(1000 * 1000 // 8)",
        "m100 = np.ones(100 * 1000 * 1000 // 8)",
        "small = [{'i': i, 's': str(i)} for i in range(100_000)]",
      ].join("\n"),
    );
    const limit = { dir, maxVariableBytes: 2_000 * MB };
    const full = await checkpoint(s, limit);
    expect(Object.keys(full.variables).sort()).toEqual(["big", "m1", "m100", "small"]);
    // Over ~615 MB in this one: only the first checkpoint pays for it.
    await run(s, "x = 1");
    const times: number[] = [];
    let previous = full.variables;
    for (let i = 0; i < 5; i++) {
      await run(s, `x = ${i + 2}`);
      const delta = await checkpoint(s, { ...limit, previous });
      expect(changedNames(delta)).toEqual(["x"]);
      times.push(delta.durationMs);
      previous = delta.variables;
    }
    times.sort((x, y) => x - y);
    const median = times[2]!;
    // What rewriting each one costs: an in-place change names it, so it is pickled again.
    const rewrite: Record<string, number> = {};
    for (const name of ["m1", "m100", "small"]) {
      await run(s, name === "small" ? "small.append({'i': -1})" : `${name}[0] += 1`);
      const delta = await checkpoint(s, { ...limit, previous });
      expect(changedNames(delta)).toEqual([name]);
      rewrite[name] = delta.durationMs;
      previous = delta.variables;
    }

    const b = kernel();
    await run(b, "1");
    const manifest = { ...full, variables: { m100: full.variables.m100! } };
    const restored = await restore(b, { dir, manifest });
    expect(restored.failed).toEqual([]);
    expect(await peek(b, "[int(m100.size), float(m100.sum())]")).toEqual([12_500_000, 12_500_000]);

    const sizes = Object.fromEntries(Object.entries(full.variables).map(([k, v]) => [k, v.bytes]));
    console.log(
      [
        `first checkpoint (big 500 MB, m100 100 MB, m1 1 MB, small 100k dicts): ${full.durationMs} ms`,
        `incremental checkpoint after x = ..., 615 MB namespace: median ${median} ms (${times.join(", ")})`,
        `checkpoint rewriting one of them (ms): ${JSON.stringify(rewrite)}`,
        `restore of 100 MB (m100): ${restored.durationMs} ms`,
        `pickle sizes: ${JSON.stringify(sizes)}`,
      ].join("\n"),
    );
    expect(sizes.m1).toBeLessThan(1.01 * MB);
    expect(sizes.m100).toBeLessThan(100.01 * MB);
    // Loose bounds (typical: ~15 ms and ~200 ms): they catch a pickling of `big`, not noise.
    expect(median).toBeLessThan(1_000);
    expect(restored.durationMs).toBeLessThan(10_000);
  }, 300_000);
});
