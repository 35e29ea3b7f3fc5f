import { KernelConnection } from "@jupyterlab/services";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ExternalJupyterServer,
  JupyterServerProcess,
  type JupyterEndpoint,
  type JupyterServer,
} from "../src/jupyter/server-process.js";
import { ServicesKernelChannel } from "../src/kernel/services/channel.js";
import { JupyterServerKernelLauncher } from "../src/kernel/services/launcher.js";
import { routeLibraryConsole } from "../src/kernel/services/library-console.js";
import { serverSettingsFor } from "../src/kernel/services/settings.js";
import {
  KernelGoneError,
  KernelLaunchError,
  type ExecuteRequest,
  type IopubMessage,
  type KernelChannel,
} from "../src/kernel/transport.js";

// Real Jupyter server, real kernels: bounds below are ~5x or more of what 2 noisy cores need.
const PYTHON = "/usr/bin/python3";
const INSTALL = "apt-get install -y jupyter-server python3-ipykernel";

const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);
const logs: { message: string; fields?: Record<string, unknown> }[] = [];
// What the library printed (above debug), routed the way an entry would route it.
const libraryConsole: unknown[] = [];
let restoreConsole: () => void = () => undefined;
let server: JupyterServerProcess;
let endpoint: JupyterEndpoint;
let launcher: JupyterServerKernelLauncher;
let shared: KernelChannel;
const timings: Record<string, number> = {};

beforeAll(async () => {
  process.on("unhandledRejection", recordUnhandled);
  const record = (_: string, fields?: Record<string, unknown>) => libraryConsole.push(fields?.text);
  restoreConsole = routeLibraryConsole({ debug: () => undefined, info: record, warn: record, error: record });
  try {
    execFileSync(PYTHON, ["-c", "import jupyter_server, ipykernel"], { stdio: "pipe" });
  } catch {
    throw new Error(`These tests need Jupyter for ${PYTHON}: ${INSTALL}`);
  }
  server = new JupyterServerProcess({
    stateRoot: mkdtempSync(path.join(tmpdir(), "jmcp-services-")),
    python: PYTHON,
  });
  endpoint = await server.ensureRunning();
  launcher = new JupyterServerKernelLauncher(server, {
    log: (message, fields) => logs.push({ message, fields }),
  });
  await launcher.prepare();
  const started = Date.now();
  shared = await launcher.launch({ workDir: server.workDir, label: "shared", timeoutMs: 30_000 });
  timings.launchMs = Date.now() - started;
}, 90_000);

afterAll(async () => {
  await launcher?.close();
  process.off("unhandledRejection", recordUnhandled);
  restoreConsole();
  if (process.env.KERNEL_SERVICES_TIMINGS) process.stderr.write(`${JSON.stringify({ timings, logs })}\n`);
}, 60_000);

async function run(channel: KernelChannel, code: string, extra: Partial<ExecuteRequest> = {}) {
  const messages: IopubMessage[] = [];
  const reply = await channel.execute({ code, ...extra }, (m) => messages.push(m));
  return { reply, messages };
}

const ofType = (messages: IopubMessage[], type: string) => messages.filter((m) => m.header.msg_type === type);
const streamText = (messages: IopubMessage[], name: string) =>
  ofType(messages, "stream")
    .filter((m) => m.content.name === name)
    .map((m) => m.content.text)
    .join("");

async function kernelIds(): Promise<string[]> {
  const res = await fetch(`${endpoint.baseUrl}api/kernels`, {
    headers: { Authorization: `token ${endpoint.token}` },
  });
  return ((await res.json()) as { id: string }[]).map((k) => k.id);
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Alive and not a zombie: a killed child may linger as <defunct> until someone reaps it. */
function processAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

test("launches a kernel on the server and runs 1+1", async () => {
  expect(launcher.kind).toBe("jupyter-server");
  expect(shared.pid).toBeUndefined();
  expect(await kernelIds()).toContain(shared.id);
  const { reply, messages } = await run(shared, "1+1");
  expect(reply.status).toBe("ok");
  expect(ofType(messages, "execute_result")[0]?.content.data).toEqual({ "text/plain": "2" });
  expect(messages[0]).toEqual({ header: { msg_type: "status" }, content: { execution_state: "busy" } });
  expect(messages.at(-1)).toEqual({ header: { msg_type: "status" }, content: { execution_state: "idle" } });
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) {
    const started = Date.now();
    await run(shared, "1+1");
    warm.push(Date.now() - started);
  }
  timings.warmOnePlusOneMedianMs = warm.sort((a, b) => a - b)[5]!;
});

test("streams arrive in order, all before the execute resolves", async () => {
  const code =
    "import sys\nfor i in range(30):\n    print(i, flush=True)\n    print('e', i, file=sys.stderr, flush=True)";
  const messages: IopubMessage[] = [];
  const reply = await shared.execute({ code }, (m) => messages.push(m));
  const countAtReply = messages.length;
  expect(reply.status).toBe("ok");
  expect(streamText(messages, "stdout")).toBe(Array.from({ length: 30 }, (_, i) => `${i}\n`).join(""));
  expect(streamText(messages, "stderr")).toBe(Array.from({ length: 30 }, (_, i) => `e ${i}\n`).join(""));
  expect(messages.map((m) => m.header.msg_type).slice(0, 2)).toEqual(["status", "execute_input"]);
  expect(messages.at(-1)?.content.execution_state).toBe("idle");
  await new Promise((r) => setTimeout(r, 200));
  expect(messages.length).toBe(countAtReply);
});

test("an error gives an error reply and an error message; the kernel keeps working", async () => {
  // With stop_on_error (the protocol default) ipykernel 6 aborts a request that arrives within
  // moments of the error reply: a race, not a queue. The session sends one at a time.
  const { reply, messages } = await run(shared, "1/0", { stop_on_error: false });
  expect(reply.status).toBe("error");
  expect(ofType(messages, "error")[0]?.content.ename).toBe("ZeroDivisionError");
  expect((await run(shared, "40+2")).reply.status).toBe("ok");
});

test("user_expressions are evaluated and returned in the reply", async () => {
  const { reply } = await run(shared, "x = 21", {
    user_expressions: { double: "x * 2", broken: "no_such_name" },
  });
  expect(reply.user_expressions?.double).toMatchObject({ status: "ok", data: { "text/plain": "42" } });
  expect(reply.user_expressions?.broken).toMatchObject({ status: "error", ename: "NameError" });
});

test("update_display_data reaches the execute that sent it", async () => {
  const code = "from IPython.display import display, update_display\ndisplay('a', display_id='d1')";
  await run(shared, code);
  const { messages } = await run(shared, "update_display('b', display_id='d1')");
  expect(ofType(messages, "update_display_data")).toHaveLength(1);
  expect(ofType(messages, "update_display_data")[0]?.content.data).toEqual({ "text/plain": "'b'" });
});

test("env reaches the kernel; a workDir under the server root is its cwd", async () => {
  const workDir = path.join(server.workDir, "caller-a");
  mkdirSync(workDir, { recursive: true });
  const value = `it's "quoted" ünïcode \\ and\nnewline`;
  const channel = await launcher.launch({ workDir, label: "env", env: { JMCP_TEST_VALUE: value } });
  const { messages } = await run(
    channel,
    "import os, json; print(json.dumps([os.getcwd(), os.environ['JMCP_TEST_VALUE']]))",
  );
  expect(JSON.parse(streamText(messages, "stdout"))).toEqual([workDir, value]);
  await channel.shutdown();
});

test("interrupt stops `while True: pass` and the kernel stays usable", async () => {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const messages: IopubMessage[] = [];
  // As the session sends every cell: with stop_on_error, ipykernel would abort the next request if
  // it arrived within its abort window after the KeyboardInterrupt (a timing-dependent failure).
  const pending = shared.execute({ code: "while True: pass", stop_on_error: false }, (m) => {
    messages.push(m);
    if (m.header.msg_type === "execute_input") started();
  });
  await running;
  await new Promise((r) => setTimeout(r, 200));
  await shared.interrupt();
  const reply = await pending;
  expect(reply.status).toBe("error");
  expect(ofType(messages, "error")[0]?.content.ename).toBe("KeyboardInterrupt");
  expect((await run(shared, "x")).reply.status).toBe("ok");
}, 30_000);

test("a kernel that dies fails its pending execute with KernelGoneError and settles exited", async () => {
  const channel = await launcher.launch({ workDir: server.workDir, label: "dies" });
  const pending = channel.execute({ code: "import os; os._exit(1)" }, () => undefined);
  await expect(pending).rejects.toBeInstanceOf(KernelGoneError);
  const exit = await channel.exited;
  expect(exit.reason).toMatch(/died/);
  await expect(run(channel, "1+1")).rejects.toBeInstanceOf(KernelGoneError);
  await channel.interrupt(); // nothing to interrupt: resolves
  // The server restarted it behind our back; the channel deletes that kernel without being asked.
  expect(await until(async () => !(await kernelIds()).includes(channel.id), 15_000)).toBe(true);
  await channel.shutdown();
}, 45_000);

test("a restart by someone else through the server counts as the kernel's death", async () => {
  const channel = await launcher.launch({ workDir: server.workDir, label: "restarted" });
  const pending = channel.execute({ code: "import time; time.sleep(30)" }, () => undefined);
  const res = await fetch(`${endpoint.baseUrl}api/kernels/${channel.id}/restart`, {
    method: "POST",
    headers: { Authorization: `token ${endpoint.token}` },
  });
  expect(res.status).toBe(200);
  // The server interrupts before it restarts, so the cell may end with KeyboardInterrupt first.
  await pending.catch(() => undefined);
  // The server tells no client about it: the next answer comes from a kernel with a new session.
  await expect(run(channel, "1+1")).rejects.toBeInstanceOf(KernelGoneError);
  expect((await channel.exited).reason).toMatch(/restarted on the Jupyter server by someone else/);
  expect(await until(async () => !(await kernelIds()).includes(channel.id), 15_000)).toBe(true);
}, 45_000);

test("shutdown of a kernel with 20 live children ends in bounded time and removes it", async () => {
  const channel = await launcher.launch({ workDir: server.workDir, label: "children" });
  const code =
    "import subprocess, json\nps = [subprocess.Popen(['sleep', '1000']) for _ in range(20)]\nprint(json.dumps([p.pid for p in ps]))";
  const pids = JSON.parse(streamText((await run(channel, code)).messages, "stdout")) as number[];
  expect(pids.filter(processAlive)).toHaveLength(20);
  const started = Date.now();
  await channel.shutdown(2000);
  timings.shutdownWith20ChildrenMs = Date.now() - started;
  expect(timings.shutdownWith20ChildrenMs).toBeLessThan(30_000);
  expect((await channel.exited).reason).toMatch(/shut down/);
  expect(await kernelIds()).not.toContain(channel.id);
  expect(await until(() => pids.every((pid) => !processAlive(pid)), 15_000)).toBe(true);
}, 60_000);

test("eight concurrent launch/shutdown pairs (and two abandoned launches) leak no kernels", async () => {
  await shared.shutdown();
  const pairs = Array.from({ length: 8 }, async (_, i) => {
    const channel = await launcher.launch({ workDir: server.workDir, label: `pair-${i}` });
    const executing = run(channel, "import time; time.sleep(0.2); 1+1");
    // Odd ones are shut down mid-execute, twice over: both calls end, the execute rejects.
    if (i % 2 === 1) {
      await Promise.all([channel.shutdown(), channel.shutdown()]);
      await expect(executing).rejects.toBeInstanceOf(KernelGoneError);
    } else {
      expect((await executing).reply.status).toBe("ok");
      await channel.shutdown();
    }
  });
  // Far below any kernel's start time: cut short before or after the server created the kernel.
  const abandoned = [1, 50].map((timeoutMs) =>
    expect(launcher.launch({ workDir: server.workDir, label: "late", timeoutMs })).rejects.toThrow(
      /No kernel started within/,
    ),
  );
  await Promise.all([...pairs, ...abandoned]);
  expect(await until(async () => (await kernelIds()).length === 0, 20_000)).toBe(true);
}, 90_000);

test("close() shuts down every kernel it launched, one still launching included, then stops its server", async () => {
  let stopped = 0;
  const borrowed: JupyterServer = {
    ...fixedServer(endpoint),
    workDir: server.workDir,
    stop: async () => void stopped++,
  };
  const own = new JupyterServerKernelLauncher(borrowed);
  const running = await own.launch({ workDir: server.workDir, label: "close-a" });
  const launching = own.launch({ workDir: server.workDir, label: "close-b" });
  await new Promise((r) => setTimeout(r, 50));
  await own.close();
  await expect(launching).rejects.toThrow(/closed/);
  await expect(own.launch({ workDir: server.workDir, label: "after" })).rejects.toThrow(KernelLaunchError);
  expect((await running.exited).reason).toMatch(/shut down/);
  expect(stopped).toBe(1);
  expect(await until(async () => (await kernelIds()).length === 0, 15_000)).toBe(true);
}, 60_000);

test("a bad token gives a KernelLaunchError that says to check JUPYTER_TOKEN, and not the token", async () => {
  const external = new JupyterServerKernelLauncher(
    new ExternalJupyterServer(endpoint.baseUrl, "wrong-token-1"),
  );
  const viaStatus = await external.launch({ workDir: "/tmp", label: "token" }).catch((e: unknown) => e);
  // A server that skips the status check: the REST calls themselves get the 403.
  const direct: JupyterServer = { ...fixedServer({ ...endpoint, token: "wrong-token-2" }) };
  const viaRest = await new JupyterServerKernelLauncher(direct)
    .launch({ workDir: "/tmp", label: "token" })
    .catch((e: unknown) => e);
  for (const err of [viaStatus, viaRest]) {
    expect(err).toBeInstanceOf(KernelLaunchError);
    expect((err as Error).message).toMatch(/refused our token \(HTTP 403\).*check JUPYTER_TOKEN/);
    expect((err as Error).message).not.toContain("wrong-token");
    expect((err as Error).message).not.toContain(endpoint.token);
  }
});

test("an unknown kernel name says which kernels the server has", async () => {
  const named = new JupyterServerKernelLauncher(server, { kernelName: "no-such-kernel" });
  const err = await named.launch({ workDir: server.workDir, label: "name" }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KernelLaunchError);
  expect((err as Error).message).toMatch(
    /JUPYTER_KERNEL_NAME "no-such-kernel" is not a kernel .*; it has python3/,
  );
  expect(await kernelIds()).toEqual([]);
});

test("an unreachable server and a hung one fail launches, interrupts and shutdowns in bounded time", async () => {
  const refused = new JupyterServerKernelLauncher(new ExternalJupyterServer("http://127.0.0.1:9/", "t"));
  await expect(refused.launch({ workDir: "/tmp", label: "x", timeoutMs: 20_000 })).rejects.toThrow(
    /not available.*Check JUPYTER_URL/s,
  );
  const hung = http.createServer(() => undefined); // accepts, never answers
  await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
  const port = (hung.address() as AddressInfo).port;
  const hungEndpoint = { baseUrl: `http://127.0.0.1:${port}/`, wsUrl: `ws://127.0.0.1:${port}/`, token: "t" };
  try {
    const stuck = new JupyterServerKernelLauncher(fixedServer(hungEndpoint), { requestTimeoutMs: 1000 });
    await expect(stuck.launch({ workDir: "/tmp", label: "x", timeoutMs: 2000 })).rejects.toThrow(
      KernelLaunchError,
    );
    const settings = serverSettingsFor(hungEndpoint, 1000);
    const kernel = new KernelConnection({
      model: { id: "k", name: "python3" },
      serverSettings: settings,
      handleComms: false,
    });
    const channel = new ServicesKernelChannel(kernel, {
      settings,
      requestTimeoutMs: 1000,
      log: () => undefined,
      onShutdown: () => undefined,
    });
    await expect(channel.interrupt()).rejects.toThrow(/did not interrupt/);
    const started = Date.now();
    await channel.shutdown(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    await stuck.close();
  } finally {
    hung.closeAllConnections();
    hung.close();
  }
}, 60_000);

test("routeLibraryConsole turns console output into one redacted log entry per call", () => {
  const entries: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    entries.push({ level, message, fields });
  const restore = routeLibraryConsole({
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  });
  try {
    console.warn("Connection lost, reconnecting in 0 seconds.");
    console.error("Traceback (most recent call last):\n  File x\nValueError: ?token=abc123&x=1");
  } finally {
    restore();
  }
  expect(entries.map((e) => e.level)).toEqual(["warn", "error"]);
  expect(entries[1]?.fields?.text).toContain("ValueError");
  expect(JSON.stringify(entries)).not.toContain("abc123");
});

test("no unhandled rejection came out of any of it, and the library printed nothing", async () => {
  await new Promise((r) => setTimeout(r, 500));
  expect(unhandled.map(String)).toEqual([]);
  expect(libraryConsole).toEqual([]);
});

function fixedServer(at: JupyterEndpoint): JupyterServer {
  return {
    ensureRunning: async () => at,
    stop: async () => undefined,
    state: "external",
    workDir: undefined,
  };
}
