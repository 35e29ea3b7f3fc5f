import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * A caller's checkpoints in S3, under `<prefix>sessions/<caller>/`:
 *   blobs/<sha256>.pkl          one dill pickle per variable (or alias group), content-addressed,
 *                               so an unchanged variable is never uploaded twice
 *   manifests/<version>.json    what version N holds, signed with HMAC-SHA256
 * The session table points at the manifest of the current version. A pickle is code: a manifest
 * whose signature fails, or a blob whose hash is not the signed one, is refused whole.
 */
export interface ManifestVariable {
  file: string;
  sha256: string;
  bytes: number;
  group?: string;
  type?: string;
}

export interface CheckpointManifest {
  format: 1;
  caller: string;
  version: number;
  createdAt: string;
  executionCount: number;
  cwd: string;
  /** `import numpy as np` → {alias: "np", module: "numpy"}; `from math import sqrt` adds name: "sqrt". */
  imports: { alias: string; module: string; name?: string }[];
  sysPath: string[];
  variables: Record<string, ManifestVariable>;
  /** What the checkpoint left out (too large, unpicklable), for the restoring call to name. */
  notes: string[];
}

/** Stored with the session's version in the table. */
export interface CheckpointPointer {
  key: string;
  createdAt: string;
}

export class CheckpointTamperedError extends Error {
  override name = "CheckpointTamperedError";
}

export interface CheckpointStoreOptions {
  client: S3Client;
  bucket: string;
  /** The workspace prefix, e.g. "workspaces/". */
  prefix: string;
  /** The HMAC key (MCP_CHECKPOINT_KEY); only the server holds it. */
  key: Buffer;
}

export class CheckpointStore {
  constructor(private readonly options: CheckpointStoreOptions) {}

  prefixOf(caller: string): string {
    return `${this.options.prefix}sessions/${caller}/`;
  }

  /** Uploads the new blobs from `localDir`, then the signed manifest; returns the manifest's pointer. */
  async save(
    manifest: CheckpointManifest,
    written: readonly string[],
    localDir: string,
  ): Promise<CheckpointPointer> {
    const base = this.prefixOf(manifest.caller);
    const files = new Set(written);
    await Promise.all(
      Object.values(manifest.variables)
        .filter((v) => files.has(v.sha256))
        .filter((v, i, all) => all.findIndex((w) => w.sha256 === v.sha256) === i)
        .map(async (v) => {
          const file = path.join(localDir, v.file);
          const { size } = await stat(file);
          await this.options.client.send(
            new PutObjectCommand({
              Bucket: this.options.bucket,
              Key: `${base}blobs/${v.file}`,
              Body: createReadStream(file),
              ContentLength: size,
              ContentType: "application/octet-stream",
            }),
          );
        }),
    );
    const key = `${base}manifests/${manifest.version}.json`;
    await this.options.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: JSON.stringify({ manifest, signature: this.sign(manifest) }),
        ContentType: "application/json",
      }),
    );
    return { key, createdAt: manifest.createdAt };
  }

  /** Reads and verifies a manifest; throws CheckpointTamperedError when its signature fails. */
  async manifest(caller: string, pointer: CheckpointPointer): Promise<CheckpointManifest> {
    if (!pointer.key.startsWith(this.prefixOf(caller))) {
      throw new CheckpointTamperedError(
        `The session table points ${caller} at a checkpoint outside its prefix.`,
      );
    }
    const out = await this.options.client.send(
      new GetObjectCommand({ Bucket: this.options.bucket, Key: pointer.key }),
    );
    const text = await out.Body!.transformToString();
    let parsed: { manifest?: CheckpointManifest; signature?: string };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new CheckpointTamperedError(`The checkpoint ${pointer.key} is not valid JSON.`);
    }
    const { manifest, signature } = parsed;
    if (!manifest || typeof signature !== "string" || !this.verify(manifest, signature)) {
      throw new CheckpointTamperedError(
        `The checkpoint of ${caller} (${pointer.key}) failed its signature check: it was changed outside ` +
          "this server, or signed with another MCP_CHECKPOINT_KEY. It was not restored, since a pickle is code.",
      );
    }
    if (manifest.caller !== caller) {
      throw new CheckpointTamperedError(`The checkpoint ${pointer.key} belongs to another caller.`);
    }
    return manifest;
  }

  /** Downloads every blob the manifest names into `localDir`, checking each against its signed hash. */
  async download(manifest: CheckpointManifest, localDir: string): Promise<void> {
    await mkdir(localDir, { recursive: true, mode: 0o700 });
    const base = this.prefixOf(manifest.caller);
    const unique = [...new Map(Object.values(manifest.variables).map((v) => [v.sha256, v])).values()];
    await Promise.all(
      unique.map(async (v) => {
        if (!/^[0-9a-f]{64}\.pkl$/.test(v.file))
          throw new CheckpointTamperedError(`Bad blob name ${v.file}.`);
        const target = path.join(localDir, v.file);
        const partial = `${target}.part`;
        const out = await this.options.client.send(
          new GetObjectCommand({ Bucket: this.options.bucket, Key: `${base}blobs/${v.file}` }),
        );
        const hash = createHash("sha256");
        const body = out.Body as Readable;
        body.on("data", (chunk: Buffer) => hash.update(chunk));
        await pipeline(body, createWriteStream(partial, { mode: 0o600 }));
        if (hash.digest("hex") !== v.sha256) {
          await rm(partial, { force: true });
          throw new CheckpointTamperedError(
            `A variable file of ${manifest.caller}'s checkpoint (${v.file}) does not match its signed hash; the checkpoint was not restored.`,
          );
        }
        await rename(partial, target);
      }),
    );
  }

  /** Deletes what `older` holds that `newer` does not (its manifest and unreferenced blobs). */
  async prune(older: CheckpointManifest, newer: CheckpointManifest): Promise<void> {
    const base = this.prefixOf(older.caller);
    const kept = new Set(Object.values(newer.variables).map((v) => v.file));
    const keys = [
      `${base}manifests/${older.version}.json`,
      ...new Set(
        Object.values(older.variables)
          .map((v) => v.file)
          .filter((f) => !kept.has(f))
          .map((f) => `${base}blobs/${f}`),
      ),
    ];
    for (let i = 0; i < keys.length; i += 1000) {
      await this.options.client.send(
        new DeleteObjectsCommand({
          Bucket: this.options.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  private sign(manifest: CheckpointManifest): string {
    return createHmac("sha256", this.options.key).update(canonical(manifest)).digest("hex");
  }

  private verify(manifest: CheckpointManifest, signature: string): boolean {
    const expected = Buffer.from(this.sign(manifest), "hex");
    const given = Buffer.from(/^[0-9a-f]{64}$/.test(signature) ? signature : "", "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** JSON with sorted keys, so the signature does not depend on key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
