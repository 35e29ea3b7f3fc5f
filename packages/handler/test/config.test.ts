import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OAUTH_SETTINGS } from "../src/auth/oauth-config.js";
import { ConfigError, isLoopbackHost, loadConfig, SETTINGS } from "../src/config.js";
import { kernelEnvironment, stateDirs } from "../src/jupyter/environment.js";
import { bearerMatches } from "../src/http/auth.js";

const here = path.dirname(fileURLToPath(import.meta.url));

describe("configuration", () => {
  test("defaults are the documented ones", () => {
    // With a table and a bucket, so the session settings' defaults are in the config too.
    const c = loadConfig({ MCP_SESSION_TABLE: "sessions", MCP_WORKSPACE_BUCKET: "bucket" });
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      authToken: undefined,
      allowInsecure: false,
      defaultTimeoutSeconds: 30,
      stateRoot: "/tmp/jupyter-mcp",
      python: "/usr/bin/python3",
    });
    for (const s of SETTINGS) {
      if (/^\(/.test(s.default)) continue;
      const value = (JSON.stringify(c) + JSON.stringify(c.limits) + JSON.stringify(c.sessions)).includes(
        s.default.replace(/^0$/, "false"),
      );
      expect([s.name, value]).toEqual([s.name, true]);
    }
  });

  test("sessions need a bucket and a long enough key; the key never reaches the kernel", () => {
    expect(loadConfig({}).sessions).toBeUndefined();
    expect(() => loadConfig({ MCP_SESSION_TABLE: "t" })).toThrow(/MCP_WORKSPACE_BUCKET/);
    expect(() =>
      loadConfig({ MCP_SESSION_TABLE: "t", MCP_WORKSPACE_BUCKET: "b", MCP_CHECKPOINT_KEY: "short" }),
    ).toThrow(/at least 32/);
    expect(() => loadConfig({ KERNEL_ENV_PASSTHROUGH: "MCP_CHECKPOINT_KEY" })).toThrow(/MCP_CHECKPOINT_KEY/);
    const env = kernelEnvironment({ MCP_CHECKPOINT_KEY: "k".repeat(40), PATH: "/bin" }, stateDirs("/s"));
    expect(env).not.toHaveProperty("MCP_CHECKPOINT_KEY");
  });

  test("bad values name the variable and point at the docs", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT.*README/);
    expect(() => loadConfig({ MCP_ALLOW_INSECURE: "maybe" })).toThrow(/MCP_ALLOW_INSECURE/);
    expect(() => loadConfig({ MCP_DEFAULT_TIMEOUT_SECONDS: "60", MCP_MAX_TIMEOUT_SECONDS: "10" })).toThrow(
      /exceeds MCP_MAX_TIMEOUT_SECONDS/,
    );
    expect(() => loadConfig({ JUPYTER_URL: "http://127.0.0.1:8888" })).toThrow(/JUPYTER_TOKEN/);
    expect(() => loadConfig({ KERNEL_ENV_PASSTHROUGH: "MY_VAR,AWS_SECRET_ACCESS_KEY" })).toThrow(
      /AWS_SECRET_ACCESS_KEY/,
    );
  });

  test("the README's configuration table lists every variable with its default", () => {
    const readme = readFileSync(path.resolve(here, "../../../README.md"), "utf8");
    const rows = new Map(
      readme
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .map((line) => line.split("|").map((cell) => cell.trim()))
        .map((cells) => [cells[1]!.replace(/`/g, ""), cells[2]] as const),
    );
    for (const s of [...SETTINGS, ...OAUTH_SETTINGS])
      expect([s.name, rows.get(s.name)]).toEqual([s.name, s.default]);
  });

  test("the kernel environment is an allowlist", () => {
    const env = kernelEnvironment(
      {
        PATH: "/usr/bin",
        LANG: "C.UTF-8",
        AWS_SECRET_ACCESS_KEY: "s",
        AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001",
        MCP_AUTH_TOKEN: "t",
        DATABASE_URL: "postgres://secret",
        MY_SETTING: "v",
        HOME: "/root",
      },
      stateDirs("/tmp/state"),
      ["MY_SETTING", "AWS_SESSION_TOKEN"],
    );
    expect(env.PATH).toBe("/usr/bin");
    expect(env.MY_SETTING).toBe("v");
    expect(env.HOME).toBe("/tmp/state/home");
    expect(Object.keys(env).filter((k) => /AWS|TOKEN|DATABASE/.test(k))).toEqual([]);
  });

  test("loopback detection and bearer comparison", () => {
    expect(["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"].every(isLoopbackHost)).toBe(true);
    expect(["0.0.0.0", "10.0.0.1", "example.com", "127.0.0.1.nip.io"].some(isLoopbackHost)).toBe(false);
    expect(bearerMatches("Bearer abc", "abc")).toBe(true);
    expect(bearerMatches("bearer abc", "abc")).toBe(true);
    expect(bearerMatches("Bearer abcd", "abc")).toBe(false);
    expect(bearerMatches("abc", "abc")).toBe(false);
    expect(bearerMatches(null, "abc")).toBe(false);
  });
});
