import type { KernelSession } from "../src/kernel/session.js";
import { outputText, startPool, TRANSPORTS, until, type PoolUnderTest } from "./support/kernels.js";

// The kernel engine against real kernels, on both transports: direct ZMQ and a real Jupyter server.
describe.each(TRANSPORTS)("a caller's kernel session (%s)", (transport) => {
  let under: PoolUnderTest;
  let session: KernelSession;
  let n = 0;

  beforeAll(async () => {
    under = await startPool(transport, { MCP_SPARE_KERNELS: "0" });
  });
  afterAll(async () => {
    await under?.close();
  });
  beforeEach(() => {
    // A fresh caller per test: one test's kernel state never leaks into the next.
    session = under.pool.session(`t${++n}`);
  });

  test("runs code, keeps variables, and goes idle → busy → idle", async () => {
    expect(session.status().state).toBe("not_started");
    const first = await session.execute("x = 41\nprint('hi')\nx + 1", { timeoutMs: 30_000 });
    expect(first.status).toBe("ok");
    expect(outputText(first)).toContain("hi\\n");
    expect(outputText(first)).toContain('"42"');
    const running = session.execute("import time; time.sleep(1); x", { timeoutMs: 30_000 });
    expect(await until(() => session.status().state === "busy", 10_000)).toBe(true);
    expect((await running).status).toBe("ok");
    expect(session.status().state).toBe("idle");
    expect(session.status().transport).toBe(transport);
  });

  test("eight concurrent calls each get exactly their own output", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => session.execute(`print("marker-${i}")`, { timeoutMs: 30_000 })),
    );
    results.forEach((result, i) => {
      const text = outputText(result);
      expect(text).toContain(`marker-${i}\\n`);
      expect(text.match(/marker-\d/g)).toEqual([`marker-${i}`]);
    });
  });

  test("a flood of calls is bounded: beyond 32 waiting, calls are refused at once and the rest run", async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        session.execute(`import time; time.sleep(0.02); ${i}`, { timeoutMs: 60_000 }),
      ),
    );
    const refused = results.filter((r) => r.notes.join(" ").includes("calls are already waiting"));
    expect(refused.length).toBeGreaterThanOrEqual(60 - 33);
    expect(results.filter((r) => r.status === "ok").length).toBe(60 - refused.length);
    expect((await session.execute("'after'", { timeoutMs: 30_000 })).status).toBe("ok");
  });

  test("a lone surrogate is refused at once, and variables are kept", async () => {
    await session.execute("kept = 'yes'", { timeoutMs: 30_000 });
    const started = Date.now();
    const result = await session.execute("# \ud800", { timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.status).toBe("error");
    expect(result.notes.join(" ")).toMatch(/lone UTF-16 surrogate at index 2/);
    expect(result.kernelRestarted).toBe(false);
    expect(outputText(await session.execute("kept", { timeoutMs: 30_000 }))).toContain("'yes'");
  });

  test("a timeout interrupts the cell and keeps the variables", async () => {
    await session.execute("survivor = 7", { timeoutMs: 30_000 });
    const result = await session.execute("while True: pass", { timeoutMs: 1_000 });
    expect(result.status).toBe("timeout");
    expect(result.kernelRestarted).toBe(false);
    expect(result.notes.join(" ")).toMatch(/interrupted and variables are kept/);
    expect(outputText(await session.execute("survivor", { timeoutMs: 30_000 }))).toContain('"7"');
  });

  test("a cell that ignores the interrupt is ended by a restart, and the next call works", async () => {
    const result = await session.execute(
      "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(0.05)",
      { timeoutMs: 1_000 },
    );
    expect(result.status).toBe("timeout");
    expect(result.kernelRestarted).toBe(true);
    expect(result.notes.join(" ")).toMatch(/kernel was restarted/);
    const next = await session.execute("1 + 1", { timeoutMs: 30_000 });
    expect(next.status).toBe("ok");
    expect(outputText(next)).toContain('"2"');
    expect(session.status().restarts).toBe(1);
  });

  test("restart while a cell runs: the cell says the kernel was restarted", async () => {
    const running = session.execute("import time\ntime.sleep(60)", { timeoutMs: 120_000 });
    expect(await until(() => session.status().state === "busy", 10_000)).toBe(true);
    await session.restart();
    const result = await running;
    expect(result.status).toBe("error");
    expect(result.kernelRestarted).toBe(true);
    expect(result.notes.join(" ")).toMatch(/restarted while this cell ran/);
    expect(result.notes.join(" ")).not.toMatch(/Canceled future/);
    expect((await session.execute("1", { timeoutMs: 30_000 })).status).toBe("ok");
  });

  test("eight concurrent restarts collapse into one and leak no kernel, twice over", async () => {
    await session.execute("1", { timeoutMs: 30_000 });
    const before = await under.kernelCount();
    for (let round = 1; round <= 2; round++) {
      await Promise.all(Array.from({ length: 8 }, () => session.restart()));
      expect(session.status().restarts).toBe(round);
      expect(session.status().state).toBe("idle");
      const after = await session.execute("print('alive')", { timeoutMs: 30_000 });
      expect(outputText(after)).toContain("alive");
    }
    expect(await until(async () => (await under.kernelCount()) === before, 15_000)).toBe(true);
  });

  test("restart with 20 live child processes ends, and so does everything after it", async () => {
    await session.execute(
      "import subprocess\nkids = [subprocess.Popen(['sleep', '1000']) for _ in range(20)]\npids = [k.pid for k in kids]",
      { timeoutMs: 30_000 },
    );
    for (let round = 0; round < 2; round++) {
      const started = Date.now();
      await session.restart();
      expect(Date.now() - started).toBeLessThan(30_000);
      await session.execute(
        "import subprocess\nkids = [subprocess.Popen(['sleep', '1000']) for _ in range(20)]",
        { timeoutMs: 30_000 },
      );
    }
    expect((await session.execute("print('still here')", { timeoutMs: 30_000 })).status).toBe("ok");
  });

  test("a __repr__ that never returns: get_variables gives up, and the next cell runs clean", async () => {
    await session.execute(
      "class Hang:\n    def __repr__(self):\n        import time\n        while True: time.sleep(0.1)\nh = Hang()\nok = 1",
      { timeoutMs: 30_000 },
    );
    await expect(session.variables(2_000)).rejects.toThrow(/did not answer within 2 s/);
    const next = await session.execute("print('clean')\nok", { timeoutMs: 30_000 });
    expect(next.status).toBe("ok");
    expect(outputText(next)).toContain("clean");
    expect(next.notes).toEqual([]);
  });

  test("a kernel that dies is reported, and the next call runs on a fresh kernel", async () => {
    await session.execute("gone = 1", { timeoutMs: 30_000 });
    const died = await session.execute("import os\nos._exit(1)", { timeoutMs: 30_000 });
    expect(died.status).toBe("error");
    expect(died.kernelRestarted).toBe(true);
    expect(died.notes.join(" ")).toMatch(/kernel died/);
    const next = await session.execute("'gone' in globals()", { timeoutMs: 30_000 });
    expect(next.status).toBe("ok");
    expect(outputText(next)).toContain("False");
    expect(next.notes.join(" ")).toMatch(/fresh kernel because the kernel died/);
  });

  test("error text and rich outputs are bounded, in the result and in what is kept", async () => {
    const error = await session.execute("raise ValueError('e' * 20_000_000)", { timeoutMs: 60_000 });
    expect(error.status).toBe("error");
    expect(JSON.stringify(error).length).toBeLessThan(1_000_000);
    expect(error.droppedChars).toBeGreaterThan(19_000_000);
    const rich = await session.execute(
      "from IPython.display import HTML, display\nbig = '<p>' + 'x' * (30 * 1024 * 1024) + '</p>'\nfor _ in range(12): display(HTML(big))",
      { timeoutMs: 120_000 },
    );
    expect(JSON.stringify(rich).length).toBeLessThan(32 * 1024 * 1024);
    expect(rich.notes.join(" ")).toMatch(/rich output value\(s\).*dropped/);
  });
});
