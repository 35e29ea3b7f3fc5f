import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { callerSegment, S3WorkspaceStore } from "../src/workspace/s3-sync.js";
import { callerIdentity } from "../src/workspace/identity.js";
import { startS3, type TestS3 } from "./support/s3.js";

// The S3 mirror on its own (no MCP, no Jupyter), against s3rver through @aws-sdk/client-s3.
let s3: TestS3;
let store: S3WorkspaceStore;

beforeAll(async () => {
  s3 = await startS3();
  store = new S3WorkspaceStore({
    bucket: s3.bucket,
    prefix: "workspaces",
    endpoint: s3.endpoint,
    presignExpiresSeconds: 60,
  });
});

afterAll(async () => {
  store?.client.destroy();
  await s3?.close();
});

const dir = (label: string) => mkdtempSync(path.join(tmpdir(), `jmcp-s3-${label}-`));

describe("S3 workspace mirror", () => {
  test("uploads only new or changed files, mirrors deletions, and restores into an empty directory", async () => {
    const root = dir("a");
    writeFileSync(path.join(root, "a.txt"), "alpha");
    mkdirSync(path.join(root, "sub/deeper"), { recursive: true });
    writeFileSync(path.join(root, "sub/deeper/b.csv"), "x,y\n1,2\n");
    mkdirSync(path.join(root, "__pycache__"));
    writeFileSync(path.join(root, "__pycache__/c.pyc"), "cache");
    symlinkSync("/etc/passwd", path.join(root, "passwd-link"));

    const mirror = store.mirror(root, "jwt:issuer|alice");
    expect((await mirror.restore()).restored).toEqual([]);
    s3.puts.length = 0;
    const first = await mirror.sync();
    expect(first.uploaded.sort()).toEqual(["a.txt", "sub/deeper/b.csv"]);
    expect(s3.puts.sort()).toEqual([
      `workspaces/files/${callerSegment("jwt:issuer|alice")}/a.txt`,
      `workspaces/files/${callerSegment("jwt:issuer|alice")}/sub/deeper/b.csv`,
    ]);

    // Nothing changed: nothing is uploaded.
    s3.puts.length = 0;
    expect(await mirror.sync()).toEqual({ uploaded: [], deleted: [] });
    expect(s3.puts).toEqual([]);

    // One file changed (same size, new mtime), one new, one deleted.
    writeFileSync(path.join(root, "a.txt"), "ALPHA");
    utimesSync(path.join(root, "a.txt"), new Date(), new Date(Date.now() + 5000));
    writeFileSync(path.join(root, "new.md"), "# new");
    const { rmSync } = await import("node:fs");
    rmSync(path.join(root, "sub/deeper/b.csv"));
    s3.puts.length = 0;
    s3.deletes.length = 0;
    const third = await mirror.sync();
    expect(third.uploaded.sort()).toEqual(["a.txt", "new.md"]);
    expect(third.deleted).toEqual(["sub/deeper/b.csv"]);
    expect(s3.puts).toHaveLength(2);
    expect(s3.deletes).toEqual([`workspaces/files/${callerSegment("jwt:issuer|alice")}/sub/deeper/b.csv`]);

    // A cold start: a new mirror over an empty directory gets the files back, and uploads nothing.
    const fresh = dir("b");
    const again = store.mirror(fresh, "jwt:issuer|alice");
    expect((await again.restore()).restored.sort()).toEqual(["a.txt", "new.md"]);
    expect(readFileSync(path.join(fresh, "a.txt"), "utf8")).toBe("ALPHA");
    s3.puts.length = 0;
    expect(await again.sync()).toEqual({ uploaded: [], deleted: [] });
    expect(s3.puts).toEqual([]);

    // Another caller sees none of it.
    const bob = store.mirror(dir("c"), "jwt:issuer|bob");
    expect((await bob.restore()).restored).toEqual([]);
  });

  test("keys that would land outside the directory are skipped on restore", async () => {
    const prefix = `workspaces/files/${callerSegment("mallory")}/`;
    // (URLs normalize "/../", so a "\\" separator is what survives to the store.)
    for (const key of [`${prefix}..\\escape.txt`, `${prefix}ok\\..\\..\\up.txt`, `${prefix}fine.txt`]) {
      await store.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "x" }));
    }
    const root = dir("d");
    const { restored, skipped } = await store.mirror(root, "mallory").restore();
    expect(restored).toEqual(["fine.txt"]);
    expect(skipped).toHaveLength(2);
  });

  test("presigned links return the bytes", async () => {
    const root = dir("e");
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
    writeFileSync(path.join(root, "data.bin"), bytes);
    const mirror = store.mirror(root, undefined);
    await mirror.restore();
    const link = await mirror.linkFile("data.bin");
    expect(link.url).toMatch(/X-Amz-Expires=60/);
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);

    const image = await mirror.linkBytes(Buffer.from("png-bytes"), "image/png", "figure.png");
    const got = await fetch(image.url);
    expect(await got.text()).toBe("png-bytes");
    expect(image.key).toMatch(/^workspaces\/outputs\/default\//);
  });

  test("caller identities come from the authorizer in the event, never from headers", () => {
    expect(
      callerIdentity({
        headers: { "x-caller": "forged" },
        requestContext: { authorizer: { jwt: { claims: { sub: "u1", iss: "https://issuer" } } } },
      }),
    ).toBe("jwt:https://issuer|u1");
    expect(
      callerIdentity({ requestContext: { authorizer: { iam: { userArn: "arn:aws:iam::1:user/x" } } } }),
    ).toBe("iam:arn:aws:iam::1:user/x");
    expect(callerIdentity({ headers: { authorization: "Bearer t" }, requestContext: {} })).toBeUndefined();
    expect(callerSegment(undefined)).toBe("default");
    expect(callerSegment("a")).not.toBe(callerSegment("b"));
  });
});
