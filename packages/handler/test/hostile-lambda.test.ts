import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempStateRoot } from "./support/harness.js";

// The built Lambda entry with MCP_AUTH_TOKEN_SECRET_ARN whose Secrets Manager cannot be reached.
// The AWS SDK takes the endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER ("Service-specific
// endpoints": https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html; the
// SECRETS_MANAGER identifier: https://docs.aws.amazon.com/sdkref/latest/guide/ss-endpoints-table.html),
// here a loopback port nobody listens on, until the script starts a fake Secrets Manager there.
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, "../dist/lambda.js");
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jmcp-token-AbCdEf";
const TOKEN = "token-from-the-secret";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Runs in a fresh node process (module state is the subject). Date.now is shifted to step over the
// retry interval without waiting for it.
const SCRIPT = `
  import { createServer } from "node:http";
  const realNow = Date.now;
  let offset = 0;
  Date.now = () => realNow() + offset;
  const { httpApiV2Event, lambdaContext, scheduledRuleEvent } = await import("@jupyter-mcp/event-adapter/testing");
  const [dist, port, token] = process.argv.slice(1);
  const { handler, shutdown } = await import(dist);
  const steps = [];
  const mcp = (headers) => httpApiV2Event({
    method: "POST", path: "/mcp", headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {
      protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
  });
  const step = async (label, event) => {
    const started = performance.now();
    const result = await handler(event, lambdaContext());
    steps.push({ label, ms: performance.now() - started, result });
  };
  const authorized = { authorization: "Bearer " + token };
  await step("unauthenticated", mcp({}));
  await step("authenticated", mcp(authorized));
  await step("ping", scheduledRuleEvent());
  await step("health", httpApiV2Event({ method: "GET", path: "/health" }));
  offset = 31_000;
  await step("after 31 s", mcp(authorized));
  await step("right after", mcp(authorized));
  // The secret becomes reachable: a fake Secrets Manager (AWS JSON 1.1) on that port.
  const fake = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ ARN: "arn", Name: "jmcp-token", SecretString: token, VersionId: "v1" }));
  });
  await new Promise((resolve) => fake.listen(Number(port), "127.0.0.1", resolve));
  offset = 62_000;
  await step("recovered", mcp(authorized));
  await step("recovered, no token", mcp({}));
  fake.close();
  await shutdown();
  process.stdout.write(JSON.stringify(steps) + "\\n");
  process.exit(0);`;

interface Step {
  label: string;
  ms: number;
  result: { statusCode?: number; body?: string; warmed?: boolean; error?: string };
}

test("an unreachable token secret: 503 that says what to check, retried every 30 s, no kernel started meanwhile", async () => {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build first (npx tsc -p tsconfig.build.json).`);
  const port = await closedPort();
  const stateRoot = tempStateRoot("lambda-secret");
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", SCRIPT, dist, String(port), TOKEN],
    {
      cwd: path.resolve(here, ".."),
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        JUPYTER_STATE_ROOT: stateRoot,
        LOG_LEVEL: "info",
        AWS_LAMBDA_FUNCTION_NAME: "jupyter-mcp",
        MCP_AUTH_TOKEN_SECRET_ARN: SECRET_ARN,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret-key-example",
      },
      timeout: 120_000,
    },
  );
  const steps = Object.fromEntries(
    (JSON.parse(stdout.trim().split("\n").pop()!) as Step[]).map((s) => [s.label, s]),
  ) as Record<string, Step>;
  const logs = stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

  // Every MCP call and the health check get a 503 that tells the operator what to check, without
  // the network error (which names internal endpoints).
  for (const label of ["unauthenticated", "authenticated", "health", "after 31 s", "right after"]) {
    const { result } = steps[label]!;
    expect([label, result.statusCode]).toEqual([label, 503]);
    const { message } = JSON.parse(result.body!) as { message: string };
    expect(message).toMatch(/token source is unavailable/);
    expect(message).toMatch(/MCP_AUTH_TOKEN_SECRET_ARN/);
    expect(message).toMatch(/permission/);
    expect(message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect /);
    expect(message).not.toContain(SECRET_ARN);
  }
  expect(steps.ping!.result).toMatchObject({ warmed: false });
  expect(steps.ping!.result.error).toMatch(/token source is unavailable/);
  expect(steps.ping!.result.error).not.toMatch(/ECONNREFUSED/);
  // Between attempts nothing is retried: events answer at once (5x the ~100 ms an attempt takes).
  for (const label of ["unauthenticated", "authenticated", "ping", "health", "right after"]) {
    expect({ label, fast: steps[label]!.ms < 500 }).toEqual({ label, fast: true });
  }
  // One attempt at init, one after 30 s, then success: each failure logged once, with the cause.
  const failures = logs.filter((l) => l.level === "error");
  expect(failures.map((l) => l.message)).toEqual(["auth token unavailable", "auth token unavailable"]);
  expect(failures[0]).toMatchObject({ source: "MCP_AUTH_TOKEN_SECRET_ARN", retryInSeconds: 30 });
  expect(String(failures[0]!.error)).toMatch(/ECONNREFUSED/);
  expect(JSON.stringify(logs)).not.toContain(TOKEN);

  expect(steps.recovered!.result.statusCode).toBe(200);
  expect(steps["recovered, no token"]!.result.statusCode).toBe(401);
  expect(logs.some((l) => l.message === "init")).toBe(true);
});

test("while the token source is unavailable no kernel machinery starts (the state root stays empty)", async () => {
  const port = await closedPort();
  const stateRoot = tempStateRoot("lambda-secret-idle");
  const script = `
    const { httpApiV2Event, lambdaContext } = await import("@jupyter-mcp/event-adapter/testing");
    const { handler } = await import(${JSON.stringify(dist)});
    const event = httpApiV2Event({ method: "POST", path: "/mcp", headers: { "content-type": "application/json" }, body: "{}" });
    for (let i = 0; i < 3; i++) await handler(event, lambdaContext());
    process.exit(0);`;
  await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    cwd: path.resolve(here, ".."),
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      JUPYTER_STATE_ROOT: stateRoot,
      LOG_LEVEL: "silent",
      MCP_AUTH_TOKEN_SECRET_ARN: SECRET_ARN,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret-key-example",
    },
    timeout: 60_000,
  });
  expect(readdirSync(stateRoot)).toEqual([]);
});
