import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config.js";
import { startHttpServer, InsecureBindError } from "../src/http/node-server.js";
import { KernelSession } from "../src/jupyter/kernel-session.js";
import {
  ExternalJupyterServer,
  JupyterNotInstalledError,
  JupyterServerProcess,
} from "../src/jupyter/server-process.js";
import { createLogger } from "../src/log.js";
import { tempStateRoot } from "./support/harness.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const serverEntry = path.resolve(here, "../dist/server.js");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Runs `node dist/server.js` (what `pnpm start` runs) with exactly the environment given. */
function startServerProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [serverEntry], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      const m = /"url":"(http:\/\/[^"]+)\/mcp"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
}

async function runCode(url: string, code: string): Promise<string> {
  const res = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "execute_code", arguments: { code } },
    }),
  });
  const body = (await res.json()) as { result: { content: { text: string }[] } };
  return body.result.content[0]!.text;
}

describe("the Jupyter supervisor", () => {
  test("works when HOME is unset and when it is read-only; only the state root is written", async () => {
    const readOnlyHome = mkdtempSync(path.join(tmpdir(), "jmcp-rohome-"));
    chmodSync(readOnlyHome, 0o555);
    for (const home of [undefined, readOnlyHome]) {
      const stateRoot = tempStateRoot("sandbox");
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        PORT: "0",
        JUPYTER_STATE_ROOT: stateRoot,
        ...(home ? { HOME: home } : {}),
      };
      const { child, url } = await startServerProcess(env);
      try {
        const text = await runCode(
          url,
          "import os, matplotlib.pyplot as plt\nplt.plot([1])\nplt.savefig(os.path.join(os.getcwd(), 'fig.png'))\nprint(os.environ['HOME'], os.getcwd())",
        );
        expect(text).toContain(`${stateRoot}/home ${stateRoot}/work`);
      } finally {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    }
  });

  test("SIGTERM shuts down gracefully and takes Jupyter with it", async () => {
    const { child, url } = await startServerProcess({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: "0",
      JUPYTER_STATE_ROOT: tempStateRoot("graceful"),
    });
    const pids = await runCode(url, "import os\nprint(os.getpid(), os.getppid())");
    const [kernelPid, jupyterPid] = pids.trim().split(/\s+/).map(Number) as [number, number];
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await until(() => !alive(jupyterPid) && !alive(kernelPid), 30_000)).toBe(true);
  });

  test("never leaves Jupyter or the kernel orphaned when the parent is killed", async () => {
    const { child, url } = await startServerProcess({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: "0",
      JUPYTER_STATE_ROOT: tempStateRoot("orphan"),
    });
    const pids = await runCode(url, "import os\nprint(os.getpid(), os.getppid())");
    const [kernelPid, jupyterPid] = pids.trim().split(/\s+/).map(Number) as [number, number];
    expect(alive(jupyterPid)).toBe(true);
    child.kill("SIGKILL");
    expect(await until(() => !alive(jupyterPid) && !alive(kernelPid), 30_000)).toBe(true);
  });

  test("restarts the Jupyter server when it dies; the next call says state was lost", async () => {
    const jupyter = new JupyterServerProcess({
      stateRoot: tempStateRoot("restart"),
      python: "/usr/bin/python3",
    });
    const session = new KernelSession(jupyter);
    try {
      const first = await session.execute("kept = 1\nimport os\nos.getppid()", { timeoutMs: 10_000 });
      expect(first.status).toBe("ok");
      const oldPid = jupyter.pid!;
      process.kill(oldPid, "SIGKILL");
      const restarted = () =>
        jupyter.state === "running" && jupyter.pid !== undefined && jupyter.pid !== oldPid;
      expect(await until(restarted, 20_000)).toBe(true);
      const next = await session.execute("'kept' in globals()", { timeoutMs: 10_000 });
      expect(next.status).toBe("ok");
      expect(next.kernelRestarted).toBe(true);
      expect(next.notes.join(" ")).toMatch(/fresh kernel because the Jupyter server restarted/);
      expect(JSON.stringify(next.outputs)).toContain("False");
    } finally {
      await session.shutdown();
      await jupyter.stop();
    }
  });

  test("attaches to an existing Jupyter server given by URL and token", async () => {
    const owner = new JupyterServerProcess({
      stateRoot: tempStateRoot("external"),
      python: "/usr/bin/python3",
    });
    const endpoint = await owner.ensureRunning();
    const external = new ExternalJupyterServer(endpoint.baseUrl, endpoint.token);
    const session = new KernelSession(external);
    try {
      const result = await session.execute("print('attached')", { timeoutMs: 10_000 });
      expect(JSON.stringify(result.outputs)).toContain("attached");
      expect(session.status().server).toBe("external");
    } finally {
      await session.shutdown();
      await owner.stop();
    }
  });

  test("a missing Jupyter fails with a message saying how to install it", async () => {
    const fakeDir = mkdtempSync(path.join(tmpdir(), "jmcp-fakepy-"));
    const fake = path.join(fakeDir, "python3");
    writeFileSync(fake, '#!/bin/sh\necho "/usr/bin/python3: No module named jupyter_server" >&2\nexit 1\n', {
      mode: 0o755,
    });
    for (const python of [fake, path.join(fakeDir, "missing-python")]) {
      const jupyter = new JupyterServerProcess({ stateRoot: tempStateRoot("missing"), python });
      const error = await jupyter.ensureRunning().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JupyterNotInstalledError);
      expect((error as Error).message).toMatch(/apt-get install -y jupyter-server python3-ipykernel/);
    }
  });

  test("refuses to listen on a non-loopback address without a token, unless told it is fine", async () => {
    const config = loadConfig({ HOST: "0.0.0.0", PORT: "0", JUPYTER_STATE_ROOT: tempStateRoot("insecure") });
    await expect(startHttpServer(config, createLogger("silent"))).rejects.toThrow(InsecureBindError);
    await expect(startHttpServer(config, createLogger("silent"))).rejects.toThrow(/MCP_AUTH_TOKEN/);
  });

  test("the state root may not be writable: a clear error, not a hang", async () => {
    const parent = mkdtempSync(path.join(tmpdir(), "jmcp-ro-"));
    mkdirSync(path.join(parent, "locked"));
    chmodSync(path.join(parent, "locked"), 0o555);
    const jupyter = new JupyterServerProcess({
      stateRoot: path.join(parent, "locked", "state"),
      python: "/usr/bin/python3",
    });
    // As root, permissions do not bind; the test then checks the ordinary path still works.
    const outcome = await jupyter.ensureRunning().then(
      () => "started",
      (e: Error) => e.message,
    );
    if (process.getuid?.() === 0) expect(outcome).toBe("started");
    else expect(outcome).toMatch(/EACCES/);
    await jupyter.stop();
  });
});
