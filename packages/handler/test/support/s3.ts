import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A real S3-protocol server (s3rver) in this process, on a free loopback port, storing objects in a
 * temporary directory. The SDK talks to it with path-style URLs and s3rver's fixed credentials.
 */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** Keys written (PutObject/CopyObject/PostObject) and deleted, in order, as s3rver reports them. */
  puts: string[];
  deletes: string[];
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(bucket = "workspace-test"): Promise<TestS3> {
  let S3rver: typeof import("s3rver").default;
  try {
    S3rver = (await import("s3rver")).default;
  } catch (err) {
    throw new Error(
      `s3rver is missing (${(err as Error).message}); install the handler's devDependencies: pnpm install --filter @jupyter-mcp/handler`,
    );
  }
  // The SDK's default credential chain reads these; s3rver checks signatures against them.
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  process.env.AWS_REGION = "us-east-1";
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const directory = mkdtempSync(path.join(tmpdir(), "jmcp-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const puts: string[] = [];
  const deletes: string[] = [];
  server.on("event", (event) => {
    for (const record of event.Records) {
      const key = decodeURIComponent(record.s3.object.key);
      if (record.eventName.startsWith("ObjectCreated")) puts.push(key);
      else if (record.eventName.startsWith("ObjectRemoved")) deletes.push(key);
    }
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    puts,
    deletes,
    env: { MCP_WORKSPACE_BUCKET: bucket, MCP_S3_ENDPOINT: endpoint },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
