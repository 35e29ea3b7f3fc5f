import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config.js";
import { startHttpServer, InsecureBindError } from "../src/http/node-server.js";
import { createKernelPool } from "../src/kernel/create.js";
import { KernelLaunchError } from "../src/kernel/transport.js";
import { JupyterServerProcess } from "../src/jupyter/server-process.js";
import { createLogger } from "../src/log.js";
import { tempStateRoot } from "./support/harness.js";
import { alive, until } from "./support/kernels.js";
import { startServerProcess } from "./support/server-process.js";

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

describe("the kernel processes", () => {
  test("works when HOME is unset and when it is read-only; the caller's HOME and workspace are under the state root", async () => {
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
        expect(text).toContain(`${stateRoot}/callers/default/home ${stateRoot}/callers/default/work`);
      } finally {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    }
  });

  test("starts no Jupyter server without JUPYTER_URL: the kernel is our own child's", async () => {
    const { child, url } = await startServerProcess({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: "0",
      JUPYTER_STATE_ROOT: tempStateRoot("direct"),
    });
    try {
      const text = await runCode(url, "import os\nprint(open(f'/proc/{os.getppid()}/cmdline').read())");
      expect(text).not.toContain("jupyter_server");
      expect(text).not.toContain("jupyter-server");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });

  test("SIGTERM shuts down gracefully and takes the kernel and its children with it", async () => {
    const { child, url } = await startServerProcess({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: "0",
      JUPYTER_STATE_ROOT: tempStateRoot("graceful"),
    });
    const pids = await runCode(
      url,
      "import os, subprocess\nk = subprocess.Popen(['sleep', '1000'])\nprint(os.getpid(), k.pid)",
    );
    const [kernelPid, sleepPid] = pids.trim().split(/\s+/).map(Number) as [number, number];
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await until(() => !alive(kernelPid) && !alive(sleepPid), 30_000)).toBe(true);
  });

  test("never leaves a kernel or its children orphaned when the server is SIGKILLed", async () => {
    const { child, url } = await startServerProcess({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: "0",
      JUPYTER_STATE_ROOT: tempStateRoot("orphan"),
    });
    const pids = await runCode(
      url,
      "import os, subprocess\nk = subprocess.Popen(['sleep', '1000'])\nprint(os.getpid(), k.pid)",
    );
    const [kernelPid, sleepPid] = pids.trim().split(/\s+/).map(Number) as [number, number];
    expect(alive(kernelPid)).toBe(true);
    child.kill("SIGKILL");
    expect(await until(() => !alive(kernelPid) && !alive(sleepPid), 30_000)).toBe(true);
  });

  test("attaches to an existing Jupyter server given by JUPYTER_URL and JUPYTER_TOKEN", async () => {
    const owner = new JupyterServerProcess({
      stateRoot: tempStateRoot("external"),
      python: "/usr/bin/python3",
    });
    const endpoint = await owner.ensureRunning();
    const config = loadConfig({
      JUPYTER_STATE_ROOT: tempStateRoot("attach"),
      JUPYTER_URL: endpoint.baseUrl,
      JUPYTER_TOKEN: endpoint.token,
    });
    const pool = await createKernelPool(config, createLogger("silent"));
    try {
      const session = pool.session("default");
      const result = await session.execute("print('attached')", { timeoutMs: 30_000 });
      expect(JSON.stringify(result.outputs)).toContain("attached");
      expect(session.status().transport).toBe("jupyter-server");
    } finally {
      await pool.close();
      await owner.stop();
    }
  });

  test("a missing Python or ipykernel fails the call with a message saying how to install it", async () => {
    const fakeDir = mkdtempSync(path.join(tmpdir(), "jmcp-fakepy-"));
    const fake = path.join(fakeDir, "python3");
    writeFileSync(
      fake,
      '#!/bin/sh\necho "/usr/bin/python3: No module named ipykernel_launcher" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    for (const python of [fake, path.join(fakeDir, "missing-python")]) {
      const config = loadConfig({
        JUPYTER_STATE_ROOT: tempStateRoot("missing"),
        JUPYTER_PYTHON: python,
        MCP_SPARE_KERNELS: "0",
      });
      const pool = await createKernelPool(config, createLogger("silent"));
      try {
        const result = await pool.session("default").execute("1", { timeoutMs: 30_000 });
        expect(result.status).toBe("error");
        expect(result.notes.join(" ")).toMatch(/apt-get install -y python3-ipykernel|JUPYTER_PYTHON/);
        await expect(pool.session("default").warm()).rejects.toThrow(KernelLaunchError);
      } finally {
        await pool.close();
      }
    }
  });

  test("refuses to listen on a non-loopback address without a token, unless told it is fine", async () => {
    const config = loadConfig({ HOST: "0.0.0.0", PORT: "0", JUPYTER_STATE_ROOT: tempStateRoot("insecure") });
    await expect(startHttpServer(config, createLogger("silent"))).rejects.toThrow(InsecureBindError);
    await expect(startHttpServer(config, createLogger("silent"))).rejects.toThrow(/MCP_AUTH_TOKEN/);
  });
});
