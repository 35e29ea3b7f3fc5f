// Local stand-ins for the two AWS services sessions use, run in a child process of their own (as
// S3 and DynamoDB are not in the process under test): s3rver (the S3 protocol, objects on disk)
// and dynalite (the DynamoDB protocol, in memory) with the session table the Terraform modules
// create (string key `pk`, on demand). The JS equivalent of test/support/s3.ts + dynalite.ts.
//
//   startLocalAws() -> { s3Endpoint, dynamoEndpoint, bucket, table, env, s3Client(), stop() }
//   node local-aws.js --serve   (what startLocalAws spawns; prints one JSON line, stops on stdin EOF)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const require = createRequire(here);
export const BUCKET = "jmcp-bench";
export const TABLE = "jmcp-bench-sessions";
/** s3rver's fixed credentials (it checks signatures against them); dynalite checks none. Not secrets. */
export const FAKE_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

async function serve() {
  const S3rver = require("s3rver");
  const dynalite = require("dynalite");
  const { CreateTableCommand, DescribeTableCommand, DynamoDBClient } =
    await import("@aws-sdk/client-dynamodb");
  const directory = mkdtempSync(path.join(tmpdir(), "jmcp-bench-s3rver-"));
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const s3Address = await s3.run();
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => {
    dynamo.once("error", reject);
    dynamo.listen(0, "127.0.0.1", resolve);
  });
  const dynamoEndpoint = `http://127.0.0.1:${dynamo.address().port}`;
  const client = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: "us-east-1",
    credentials: FAKE_CREDENTIALS,
  });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  for (let tries = 0; ; tries++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    if (Table?.TableStatus === "ACTIVE") break;
    if (tries >= 200) throw new Error(`dynalite table stayed ${Table?.TableStatus}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  client.destroy();
  process.stdout.write(
    `${JSON.stringify({ s3Endpoint: `http://127.0.0.1:${s3Address.port}`, dynamoEndpoint })}\n`,
  );
  // Runs until the parent closes stdin (or dies).
  process.stdin.resume();
  process.stdin.once("end", async () => {
    dynamo.closeAllConnections?.();
    await Promise.all([s3.close(), new Promise((r) => dynamo.close(r))]);
    rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  });
}

/** Spawns the local services; resolves once both listen and the table is ACTIVE. */
export async function startLocalAws() {
  const child = spawn(process.execPath, [here, "--serve"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir() },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr.on("data", (d) => (errors = (errors + d).slice(-4000)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await Promise.race([
    lines.next(),
    new Promise((_, reject) =>
      child.once("exit", (code) => reject(new Error(`local AWS exited (${code}): ${errors.slice(-600)}`))),
    ),
  ]);
  if (first.done) throw new Error(`local AWS said nothing: ${errors.slice(-600)}`);
  const { s3Endpoint, dynamoEndpoint } = JSON.parse(first.value);
  return {
    s3Endpoint,
    dynamoEndpoint,
    bucket: BUCKET,
    table: TABLE,
    /** What a server (or the Lambda entry) needs to use them, credentials included (s3rver's fixed ones). */
    env: {
      MCP_WORKSPACE_BUCKET: BUCKET,
      MCP_S3_ENDPOINT: s3Endpoint,
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
    },
    sessionEnv: { MCP_SESSION_TABLE: TABLE, MCP_DYNAMODB_ENDPOINT: dynamoEndpoint },
    /** An S3 client configured as the server configures its own (s3ClientFor), with s3rver's credentials. */
    async s3Client() {
      const { S3Client } = await import("@aws-sdk/client-s3");
      return new S3Client({
        endpoint: s3Endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials: FAKE_CREDENTIALS,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      return exited.finally(() => clearTimeout(timer));
    },
  };
}

if (process.argv[1] === here && process.argv.includes("--serve")) {
  serve().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
