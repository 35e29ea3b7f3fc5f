import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  canonical,
  CheckpointStore,
  CheckpointTamperedError,
  type CheckpointManifest,
} from "../src/sessions/checkpoint-store.js";
import { s3ClientFor } from "../src/workspace/s3-sync.js";
import { startS3, type TestS3 } from "./support/s3.js";

// Checkpoints in a real S3-protocol server (s3rver): signed manifests, content-addressed blobs.
let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3("checkpoint-store-test");
});
afterAll(async () => s3?.close());

function storeWith(key: string): CheckpointStore {
  return new CheckpointStore({
    client: s3ClientFor({ endpoint: s3.endpoint }),
    bucket: s3.bucket,
    prefix: "workspaces/",
    key: Buffer.from(key),
  });
}

function manifestWithBlob(dir: string, caller: string, version: number, bytes: string): CheckpointManifest {
  const sha = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(path.join(dir, `${sha}.pkl`), bytes);
  return {
    format: 1,
    caller,
    version,
    createdAt: new Date().toISOString(),
    executionCount: 3,
    cwd: "/work",
    imports: [{ alias: "np", module: "numpy" }],
    sysPath: [],
    variables: { x: { file: `${sha}.pkl`, sha256: sha, bytes: bytes.length, type: "int" } },
    notes: [],
  };
}

test("a saved checkpoint comes back verified, byte for byte", async () => {
  const store = storeWith("k".repeat(40));
  const dir = mkdtempSync(path.join(tmpdir(), "jmcp-ckpt-"));
  const manifest = manifestWithBlob(dir, "alice", 1, "pickle bytes");
  const pointer = await store.save(manifest, [manifest.variables.x!.sha256], dir);
  expect(pointer.key).toBe("workspaces/sessions/alice/manifests/1.json");
  const loaded = await store.manifest("alice", pointer);
  expect(loaded).toEqual(manifest);
  const into = mkdtempSync(path.join(tmpdir(), "jmcp-ckpt-in-"));
  await store.download(loaded, into);
  expect(readFileSync(path.join(into, manifest.variables.x!.file), "utf8")).toBe("pickle bytes");
});

test("another key, a changed manifest, a swapped blob or another caller's pointer is refused", async () => {
  const store = storeWith("k".repeat(40));
  const dir = mkdtempSync(path.join(tmpdir(), "jmcp-ckpt-"));
  const manifest = manifestWithBlob(dir, "bob", 1, "original");
  const pointer = await store.save(manifest, [manifest.variables.x!.sha256], dir);
  await expect(storeWith("o".repeat(40)).manifest("bob", pointer)).rejects.toThrow(
    /failed its signature check/,
  );
  await expect(store.manifest("alice", pointer)).rejects.toThrow(CheckpointTamperedError);
  const client = s3ClientFor({ endpoint: s3.endpoint });
  await client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: `workspaces/sessions/bob/blobs/${manifest.variables.x!.file}`,
      Body: "evil",
    }),
  );
  const into = mkdtempSync(path.join(tmpdir(), "jmcp-ckpt-in-"));
  await expect(store.download(await store.manifest("bob", pointer), into)).rejects.toThrow(
    /does not match its signed hash/,
  );
  const changed = { ...manifest, executionCount: 99 };
  const stored = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: pointer.key }));
  const signature = (JSON.parse(await stored.Body!.transformToString()) as { signature: string }).signature;
  await client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: pointer.key,
      Body: JSON.stringify({ manifest: changed, signature }),
    }),
  );
  await expect(store.manifest("bob", pointer)).rejects.toThrow(/failed its signature check/);
});

test("canonical JSON does not depend on key order", () => {
  expect(canonical({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonical({ a: [{ c: 3, d: 2 }], b: 1 }));
  expect(canonical({ a: undefined, b: null })).toBe('{"b":null}');
});
