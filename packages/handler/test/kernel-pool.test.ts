import { KernelLifecycle, InvalidTransitionError } from "../src/kernel/lifecycle.js";
import { outputText, startPool, TRANSPORTS, until, type PoolUnderTest } from "./support/kernels.js";

describe("the kernel lifecycle table", () => {
  test("allows the documented paths and refuses the rest", () => {
    const life = new KernelLifecycle();
    const seen: string[] = [];
    life.onTransition((t) => seen.push(`${t.from}-${t.event}->${t.to}`));
    for (const event of [
      "start",
      "ready",
      "run",
      "interrupt",
      "done",
      "restart",
      "ready",
      "died",
      "start",
    ] as const) {
      life.fire(event);
    }
    expect(life.state).toBe("starting");
    expect(seen[3]).toBe("busy-interrupt->interrupting");
    expect(() => life.fire("run")).toThrow(InvalidTransitionError);
    expect(life.tryFire("done")).toBe(false);
    expect(life.state).toBe("starting");
  });

  test("a restart ignores the old kernel's death and ends in idle or dead", () => {
    const life = new KernelLifecycle();
    life.fire("start");
    life.fire("ready");
    life.fire("restart");
    expect(life.tryFire("died")).toBe(false);
    expect(life.tryFire("restart")).toBe(false);
    life.fire("failed");
    expect(life.state).toBe("dead");
    life.fire("restart");
    life.fire("ready");
    expect(life.state).toBe("idle");
  });
});

describe.each(TRANSPORTS)("one kernel per caller (%s)", (transport) => {
  let under: PoolUnderTest;

  afterEach(async () => {
    await under?.close();
  });

  test("callers never see each other's variables or working directory", async () => {
    under = await startPool(transport, { MCP_SPARE_KERNELS: "1" });
    const alice = under.pool.session("alice");
    const bob = under.pool.session("bob");
    await alice.execute("secret = 'alice-only'", { timeoutMs: 30_000 });
    const seen = await bob.execute("print('secret' in globals())\nimport os\nprint(os.getcwd())", {
      timeoutMs: 30_000,
    });
    expect(outputText(seen)).toContain("False");
    if (transport === "direct") expect(outputText(seen)).toContain(`${under.stateRoot}/callers/bob/work`);
    expect(alice.status().kernelId).not.toBe(bob.status().kernelId);
    expect(outputText(await alice.execute("secret", { timeoutMs: 30_000 }))).toContain("alice-only");
  });

  test("one caller's long cell never delays another caller's calls", async () => {
    under = await startPool(transport, { MCP_SPARE_KERNELS: "0" });
    const slow = under.pool.session("slow");
    const quick = under.pool.session("quick");
    await Promise.all([slow.execute("1", { timeoutMs: 30_000 }), quick.execute("1", { timeoutMs: 30_000 })]);
    const long = slow.execute("import time\ntime.sleep(8)", { timeoutMs: 60_000 });
    const started = Date.now();
    for (let i = 0; i < 5; i++)
      expect((await quick.execute(`${i}`, { timeoutMs: 30_000 })).status).toBe("ok");
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(slow.status().state).toBe("busy");
    expect((await long).status).toBe("ok");
  });

  test("MCP_MAX_KERNELS evicts the least recently used idle kernel, and its caller is told", async () => {
    under = await startPool(transport, { MCP_SPARE_KERNELS: "0", MCP_MAX_KERNELS: "2" });
    const a = under.pool.session("a");
    await a.execute("va = 1", { timeoutMs: 30_000 });
    const b = under.pool.session("b");
    await b.execute("vb = 1", { timeoutMs: 30_000 });
    await a.execute("va", { timeoutMs: 30_000 }); // b is now the least recently used
    const c = under.pool.session("c");
    expect((await c.execute("1", { timeoutMs: 30_000 })).status).toBe("ok");
    expect(b.status().state).toBe("stopped");
    expect(a.status().state).toBe("idle");
    expect(await until(async () => (await under.kernelCount()) === 2, 15_000)).toBe(true);
    const back = await under.pool.session("b").execute("'vb' in globals()", { timeoutMs: 30_000 });
    expect(outputText(back)).toContain("False");
    expect(back.notes.join(" ")).toMatch(/limit of 2 kernel\(s\) \(MCP_MAX_KERNELS\).*least recently used/);
  });

  test("when every kernel is busy, a new caller gets a clear error instead of waiting", async () => {
    under = await startPool(transport, { MCP_SPARE_KERNELS: "0", MCP_MAX_KERNELS: "1" });
    const busy = under.pool.session("busy");
    const long = busy.execute("import time\ntime.sleep(5)", { timeoutMs: 60_000 });
    expect(await until(() => busy.status().state === "busy", 20_000)).toBe(true);
    const refused = await under.pool.session("late").execute("1", { timeoutMs: 30_000 });
    expect(refused.status).toBe("error");
    expect(refused.notes.join(" ")).toMatch(/limit of 1 kernel\(s\).*all of them are busy/);
    expect((await long).status).toBe("ok");
  });

  test("MCP_KERNEL_IDLE_SECONDS shuts idle kernels down; the next call says why", async () => {
    under = await startPool(transport, { MCP_SPARE_KERNELS: "0", MCP_KERNEL_IDLE_SECONDS: "1" });
    const idle = under.pool.session("idle");
    await idle.execute("v = 1", { timeoutMs: 30_000 });
    expect(await until(() => idle.status().state === "stopped", 15_000)).toBe(true);
    const next = await idle.execute("'v' in globals()", { timeoutMs: 30_000 });
    expect(outputText(next)).toContain("False");
    expect(next.notes.join(" ")).toMatch(/idle for more than 1 s/);
  });
});
