import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { LockTimeoutError } from "../src/tasks/file-lock.js";
import { FileTaskStore } from "../src/tasks/file-task-store.js";
import { ABANDONED_AFTER_MS, type TaskRecord, TERMINAL } from "../src/tasks/task-store.js";

// What the contract suite cannot show for files: writers that die mid-write or holding the lock,
// damage from outside, clean-up, and real separate processes sharing the directory.
let root: string;
let bundle: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "task-files-"));
  // Child processes run the real store, bundled from the source under test.
  bundle = path.join(root, "store.mjs");
  const here = path.dirname(fileURLToPath(import.meta.url));
  await build({
    entryPoints: [path.join(here, "../src/tasks/file-task-store.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: bundle,
    logLevel: "silent",
  });
  await writeFile(path.join(root, "child.mjs"), CHILD);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** hammer DIR ID: rewrites the task with a 4 MB result forever. race DIR ROLE START IDS…: see below. */
const CHILD = `
import { FileTaskStore } from "./store.mjs";
const [mode, dir, ...args] = process.argv.slice(2);
const store = new FileTaskStore(dir, { lockStaleMs: 300, lockWaitMs: 10000 });
if (mode === "hammer") {
  const text = "x".repeat(4000000);
  for (let i = 0; ; i++) {
    await store.update("alice", args[0], { statusMessage: "write " + i, result: { content: [{ type: "text", text }] } });
  }
}
if (mode === "race") {
  const [role, start, ...ids] = args;
  await new Promise((resolve) => setTimeout(resolve, Number(start) - Date.now()));
  const outcomes = await Promise.all(ids.map(async (id) => {
    const writes = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      role === "b" && i === 10
        ? store.requestCancel("alice", id)
        : store.update("alice", id, { heartbeatAt: new Date().toISOString(), statusMessage: role + i })));
    const final = role === "a"
      ? await store.update("alice", id, { status: "completed", result: { content: [{ type: "text", text: "a" }] } })
      : await store.update("alice", id, { status: "failed", error: { code: -32603, message: "b" } });
    return { final, cancel: writes[10] };
  }));
  process.stdout.write(JSON.stringify(outcomes));
}
`;

function child(...args: string[]): {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; out: string }>;
} {
  const proc = spawn(process.execPath, [path.join(root, "child.mjs"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (chunk: Buffer) => (out += chunk));
  proc.stderr!.on("data", (chunk: Buffer) => (err += chunk));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) =>
    proc.on("exit", (code) => {
      if (code !== 0 && code !== null) console.error(err);
      resolve({ code, out });
    }),
  );
  return { proc, exited };
}

function newRecord(overrides: Partial<TaskRecord> = {}): TaskRecord {
  const now = new Date().toISOString();
  return {
    taskId: randomUUID(),
    caller: "alice",
    status: "working",
    createdAt: now,
    lastUpdatedAt: now,
    ttlMs: 60_000,
    pollIntervalMs: 1000,
    owner: "host/1/abcdef01",
    heartbeatAt: now,
    ...overrides,
  };
}

async function freshStore(options: ConstructorParameters<typeof FileTaskStore>[1] = {}) {
  const dir = await mkdtemp(path.join(root, "dir-"));
  return { dir, store: new FileTaskStore(dir, options), taskDir: path.join(dir, "alice") };
}

const past = (ms: number) => new Date(Date.now() - ms);

describe("file task store when writers die", () => {
  test("a half-written temp file left by a killed writer is ignored, then swept", async () => {
    const { store, taskDir } = await freshStore({ lockStaleMs: 1000 });
    const record = newRecord();
    await store.create(record);
    const orphan = path.join(taskDir, `${record.taskId}.json.${randomUUID()}.tmp`);
    const inFlight = path.join(taskDir, `${record.taskId}.json.${randomUUID()}.tmp`);
    await writeFile(orphan, '{"taskId":"' + record.taskId + '","status":"compl');
    await writeFile(inFlight, "{");
    await utimes(orphan, past(60_000), past(60_000));
    expect(await store.get("alice", record.taskId)).toEqual(record);
    expect(await store.update("alice", record.taskId, { statusMessage: "on" })).toMatchObject({
      statusMessage: "on",
    });
    await store.sweep("alice");
    expect((await readdir(taskDir)).sort()).toEqual(
      [`${record.taskId}.json`, path.basename(inFlight)].sort(),
    );
  });

  test("a lock left by a dead holder is taken over; a live one makes the update wait, then give up", async () => {
    const { store, taskDir } = await freshStore({ lockStaleMs: 2000, lockWaitMs: 300 });
    const record = newRecord();
    await store.create(record);
    const lock = path.join(taskDir, `${record.taskId}.lock`);

    await writeFile(lock, "dead-host/42/00000000");
    await utimes(lock, past(10_000), past(10_000));
    const started = Date.now();
    expect(await store.update("alice", record.taskId, { statusMessage: "taken over" })).toMatchObject({
      statusMessage: "taken over",
    });
    expect(Date.now() - started).toBeLessThan(300);
    expect(await readdir(taskDir)).toEqual([`${record.taskId}.json`]);

    await writeFile(lock, "live-host/43/11111111");
    await expect(store.update("alice", record.taskId, { status: "completed" })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    await expect(store.requestCancel("alice", record.taskId)).rejects.toBeInstanceOf(LockTimeoutError);
    // Reads take no lock, and the live holder's lock is still its own.
    expect(await store.get("alice", record.taskId)).toMatchObject({
      status: "working",
      statusMessage: "taken over",
    });
    expect(await readFile(lock, "utf8")).toBe("live-host/43/11111111");
  });

  test("a writer SIGKILLed mid-write, again and again, never leaves a torn record", async () => {
    const { dir, store } = await freshStore({ lockStaleMs: 300, lockWaitMs: 5000 });
    const record = newRecord();
    await store.create(record);
    for (let round = 0; round < 4; round++) {
      const { proc, exited } = child("hammer", dir, record.taskId);
      // Let it get a few 4 MB writes in, then kill it at an arbitrary point of one.
      for (let seen = 0; seen < 3;) {
        const current = await store.get("alice", record.taskId);
        seen = Number(/^write (\d+)$/.exec(current?.statusMessage ?? "")?.[1] ?? -1) + 1;
        await sleep(5);
      }
      await sleep(Math.random() * 30);
      proc.kill("SIGKILL");
      await exited;
      const after = await store.get("alice", record.taskId);
      expect(after).toMatchObject({
        taskId: record.taskId,
        status: "working",
        statusMessage: expect.stringMatching(/^write \d+$/),
      });
      expect(JSON.stringify(after?.result).length).toBeGreaterThan(4_000_000);
      // A lock the killed writer held is taken over once stale.
      expect(await store.update("alice", record.taskId, { statusMessage: `parent ${round}` })).toMatchObject({
        statusMessage: `parent ${round}`,
      });
    }
    await sleep(400);
    await store.sweep("alice");
    expect(await readdir(path.join(dir, "alice"))).toEqual([`${record.taskId}.json`]);
  }, 60_000);

  test("a record damaged from outside is reported, not taken for unknown", async () => {
    const { store, taskDir } = await freshStore();
    const record = newRecord();
    await store.create(record);
    await writeFile(path.join(taskDir, `${record.taskId}.json`), "{not json");
    await expect(store.get("alice", record.taskId)).rejects.toThrow(/is not valid JSON; delete it/);
  });
});

describe("file task store clean-up and processes", () => {
  test("records live at <dir>/<caller>/<taskId>.json and nothing else is left behind", async () => {
    const { dir, store, taskDir } = await freshStore();
    const record = newRecord();
    await store.create(record);
    await Promise.all(
      Array.from({ length: 10 }, () => store.update("alice", record.taskId, { statusMessage: "x" })),
    );
    expect(await readdir(dir)).toEqual(["alice"]);
    expect(await readdir(taskDir)).toEqual([`${record.taskId}.json`]);
  });

  test("expired records are deleted when read, and the sweep forgets expired and abandoned ones", async () => {
    let now = Date.now();
    const { store, taskDir } = await freshStore({ now: () => now });
    const [read, swept, abandoned, live] = [newRecord(), newRecord(), newRecord(), newRecord()];
    for (const record of [read, swept, abandoned, live]) await store.create(record);
    await store.update("alice", read.taskId, { status: "completed" });
    await store.update("alice", swept.taskId, { status: "cancelled" });
    now += 61_000;
    expect(await store.get("alice", read.taskId)).toBeUndefined();
    expect(await readdir(taskDir)).not.toContain(`${read.taskId}.json`);
    await store.update("alice", live.taskId, { heartbeatAt: new Date(now).toISOString() });
    now += ABANDONED_AFTER_MS;
    await store.sweep("alice");
    expect(await readdir(taskDir)).toEqual([`${live.taskId}.json`]);
  });

  test("two real processes updating and cancelling the same tasks lose nothing and agree on the end", async () => {
    const { dir, store } = await freshStore();
    const records = Array.from({ length: 8 }, () => newRecord());
    for (const record of records) await store.create(record);
    const ids = records.map((record) => record.taskId);
    const start = String(Date.now() + 1500);
    const [a, b] = await Promise.all([
      child("race", dir, "a", start, ...ids).exited,
      child("race", dir, "b", start, ...ids).exited,
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    type Outcome = { final: TaskRecord; cancel: TaskRecord };
    const [fromA, fromB] = [JSON.parse(a.out) as Outcome[], JSON.parse(b.out) as Outcome[]];
    let cancelledWhileWorking = 0;
    for (const [i, id] of ids.entries()) {
      const final = await store.get("alice", id);
      expect(TERMINAL.has(final!.status)).toBe(true);
      expect(fromA[i]?.final).toEqual(final);
      expect(fromB[i]?.final).toEqual(final);
      // A cancel that landed before the end must survive every later write of the other process;
      // one that came after found the task finished and changed nothing.
      const cancel = fromB[i]!.cancel;
      if (TERMINAL.has(cancel.status)) {
        expect(cancel).toEqual(final);
      } else {
        expect(cancel.cancelRequested).toBe(true);
        expect(final!.cancelRequested).toBe(true);
        cancelledWhileWorking++;
      }
    }
    // The two processes did overlap (the start time lines them up).
    expect(cancelledWhileWorking).toBeGreaterThan(0);
    expect((await readdir(path.join(dir, "alice"))).filter((name) => !name.endsWith(".json"))).toEqual([]);
  }, 30_000);
});
