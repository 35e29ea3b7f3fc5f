import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { callerKey } from "../callers.js";
import { checkRelativePath, isWriteTempName, WorkspacePathError, writeTempName } from "./paths.js";

/**
 * Mirrors one local directory to s3://bucket/<prefix>files/<caller>/ and back. No MCP in here: it
 * knows files, keys and a manifest of what it last saw (size + mtime), so only files that changed
 * since the last restore or sync are uploaded.
 */
export interface S3StoreOptions {
  bucket: string;
  /** Key prefix of every workspace, e.g. "workspaces/"; a trailing "/" is added when missing. */
  prefix: string;
  /** Endpoint override (tests, S3-compatible stores); implies path-style addressing. */
  endpoint?: string;
  /** Lifetime of presigned GET URLs, in seconds. */
  presignExpiresSeconds: number;
  client?: S3Client;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface SyncReport {
  uploaded: string[];
  deleted: string[];
}

export interface PresignedLink {
  url: string;
  key: string;
  expiresInSeconds: number;
}

/** Directories never mirrored: caches that are cheap to rebuild and noisy to upload. */
const SKIPPED_DIRS = new Set(["__pycache__", ".ipynb_checkpoints"]);

interface Entry {
  size: number;
  mtimeMs: number;
}

export function s3ClientFor(options: { endpoint?: string }): S3Client {
  const config: S3ClientConfig = {
    // Checksums only where S3 requires them: S3-compatible stores (and s3rver) reject aws-chunked bodies.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.forcePathStyle = true;
    config.region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  }
  return new S3Client(config);
}

/** The key segment of one caller: the same key that names its kernel and directories. */
export function callerSegment(identity: string | undefined): string {
  return callerKey(identity);
}

export class S3WorkspaceStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly presignExpiresSeconds: number;
  private readonly log: NonNullable<S3StoreOptions["log"]>;

  constructor(options: S3StoreOptions) {
    this.client =
      options.client ?? s3ClientFor(options.endpoint !== undefined ? { endpoint: options.endpoint } : {});
    this.bucket = options.bucket;
    this.prefix =
      options.prefix === "" || options.prefix.endsWith("/") ? options.prefix : `${options.prefix}/`;
    this.presignExpiresSeconds = options.presignExpiresSeconds;
    this.log = options.log ?? (() => undefined);
  }

  /** One caller's mirror of `root`. */
  mirror(root: string, identity: string | undefined): S3Mirror {
    const caller = callerSegment(identity);
    // files/ and outputs/ are separate trees so a lifecycle rule can expire outputs alone.
    return new S3Mirror(
      this,
      root,
      `${this.prefix}files/${caller}/`,
      `${this.prefix}outputs/${caller}/`,
      this.log,
    );
  }

  async presign(key: string, filename?: string): Promise<PresignedLink> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(filename ? { ResponseContentDisposition: contentDisposition(filename) } : {}),
    });
    const url = await getSignedUrl(this.client, command, { expiresIn: this.presignExpiresSeconds });
    return { url, key, expiresInSeconds: this.presignExpiresSeconds };
  }
}

export class S3Mirror {
  private readonly manifest = new Map<string, Entry>();

  constructor(
    readonly store: S3WorkspaceStore,
    readonly root: string,
    readonly filesPrefix: string,
    readonly outputsPrefix: string,
    private readonly log: NonNullable<S3StoreOptions["log"]>,
  ) {}

  keyOf(relative: string): string {
    return `${this.filesPrefix}${relative}`;
  }

  /** Downloads every object of this caller into `root` and records them as in sync. */
  async restore(): Promise<{ restored: string[]; skipped: string[] }> {
    const restored: string[] = [];
    const skipped: string[] = [];
    await mkdir(this.root, { recursive: true });
    let token: string | undefined;
    do {
      const page = await this.store.client.send(
        new ListObjectsV2Command({
          Bucket: this.store.bucket,
          Prefix: this.filesPrefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (!key || key.endsWith("/")) continue;
        const relative = safeRelative(key.slice(this.filesPrefix.length));
        if (relative === undefined) {
          skipped.push(key);
          continue;
        }
        await this.download(key, relative);
        restored.push(relative);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (skipped.length > 0) this.log("workspace keys skipped on restore", { skipped });
    return { restored, skipped };
  }

  private async download(key: string, relative: string): Promise<void> {
    const target = path.join(this.root, ...relative.split("/"));
    await mkdir(path.dirname(target), { recursive: true });
    // A directory of the same name, or a symlink planted by code, is replaced, never followed.
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !existing.isFile()) await rm(target, { recursive: true, force: true });
    const object = await this.store.client.send(
      new GetObjectCommand({ Bucket: this.store.bucket, Key: key }),
    );
    // Renamed into place like Workspace.writeText: never torn, never written through a hard link.
    const temp = path.join(path.dirname(target), writeTempName(path.basename(target)));
    try {
      await pipeline(object.Body as Readable, createWriteStream(temp, { flags: "wx", mode: 0o644 }));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    const info = await stat(target);
    this.manifest.set(relative, { size: info.size, mtimeMs: info.mtimeMs });
  }

  /** Uploads files that are new or changed since the last restore/sync; mirrors local deletions. */
  async sync(): Promise<SyncReport> {
    const seen = new Map<string, Entry>();
    await walk(this.root, "", seen);
    const uploaded: string[] = [];
    const deleted: string[] = [];
    for (const [relative, entry] of seen) {
      const known = this.manifest.get(relative);
      if (known && known.size === entry.size && known.mtimeMs === entry.mtimeMs) continue;
      await this.upload(relative, entry);
      uploaded.push(relative);
    }
    for (const relative of [...this.manifest.keys()]) {
      if (seen.has(relative)) continue;
      await this.store.client.send(
        new DeleteObjectCommand({ Bucket: this.store.bucket, Key: this.keyOf(relative) }),
      );
      this.manifest.delete(relative);
      deleted.push(relative);
    }
    return { uploaded, deleted };
  }

  /** Uploads one file now when it changed (before presigning it). */
  async syncFile(relative: string): Promise<void> {
    const absolute = path.join(this.root, ...relative.split("/"));
    const info = await lstat(absolute);
    if (!info.isFile()) throw new WorkspacePathError(`${relative} is not a regular file.`);
    const known = this.manifest.get(relative);
    if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return;
    await this.upload(relative, { size: info.size, mtimeMs: info.mtimeMs });
  }

  private async upload(relative: string, entry: Entry): Promise<void> {
    const absolute = path.join(this.root, ...relative.split("/"));
    await this.store.client.send(
      new PutObjectCommand({
        Bucket: this.store.bucket,
        Key: this.keyOf(relative),
        Body: createReadStream(absolute),
        ContentLength: entry.size,
        ContentType: contentTypeOf(relative),
      }),
    );
    this.manifest.set(relative, entry);
  }

  /** A presigned GET link to a workspace file, uploaded first when it changed. */
  async linkFile(relative: string): Promise<PresignedLink> {
    await this.syncFile(relative);
    return this.store.presign(this.keyOf(relative), path.posix.basename(relative));
  }

  /** Stores bytes that did not fit in a response (e.g. an image) and returns a presigned link. */
  async linkBytes(bytes: Uint8Array, contentType: string, name: string): Promise<PresignedLink> {
    const key = `${this.outputsPrefix}${randomUUID()}-${name.replace(/[^A-Za-z0-9._-]/g, "_")}`;
    await this.store.client.send(
      new PutObjectCommand({ Bucket: this.store.bucket, Key: key, Body: bytes, ContentType: contentType }),
    );
    return this.store.presign(key, name);
  }

  /** Forgets what was synced (after the local directory was emptied for another caller). */
  reset(): void {
    this.manifest.clear();
  }
}

async function walk(root: string, relative: string, into: Map<string, Entry>): Promise<void> {
  const dir = relative === "" ? root : path.join(root, ...relative.split("/"));
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  for (const dirent of entries) {
    const child = relative === "" ? dirent.name : `${relative}/${dirent.name}`;
    // Symlinks are never followed or uploaded: they could point anywhere on the machine.
    if (dirent.isDirectory()) {
      if (!SKIPPED_DIRS.has(dirent.name)) await walk(root, child, into);
    } else if (dirent.isFile() && !isWriteTempName(dirent.name)) {
      // Temporary files of atomic writes are skipped: half a file must never reach S3.
      const info = await lstat(path.join(dir, dirent.name)).catch(() => undefined);
      if (info?.isFile()) into.set(child, { size: info.size, mtimeMs: info.mtimeMs });
    }
  }
}

function safeRelative(keyTail: string): string | undefined {
  try {
    const relative = checkRelativePath(keyTail);
    if (relative === "" || relative !== keyTail) return undefined;
    if (relative.split("/").some((s) => SKIPPED_DIRS.has(s) || isWriteTempName(s))) return undefined;
    return relative;
  } catch {
    return undefined;
  }
}

const TYPES: Record<string, string> = {
  ".ipynb": "application/x-ipynb+json",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".py": "text/x-python; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
};

export function contentTypeOf(name: string): string {
  return TYPES[path.extname(name).toLowerCase()] ?? "application/octet-stream";
}

function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
