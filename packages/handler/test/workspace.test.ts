import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkRelativePath, resolveWorkspacePath, WorkspacePathError } from "../src/workspace/paths.js";
import { S3WorkspaceStore } from "../src/workspace/s3-sync.js";
import { Workspace } from "../src/workspace/workspace.js";
import { startS3, type TestS3 } from "./support/s3.js";

const dir = (label: string) => mkdtempSync(path.join(tmpdir(), `jmcp-ws-${label}-`));

describe("workspace paths", () => {
  test("relative paths are normalized; absolute, .., NUL and control characters are refused", () => {
    expect(checkRelativePath("")).toBe("");
    expect(checkRelativePath(".")).toBe("");
    expect(checkRelativePath("./a//b/./c.txt")).toBe("a/b/c.txt");
    expect(checkRelativePath("..hidden/x..y")).toBe("..hidden/x..y");
    for (const bad of ["/etc/passwd", "../x", "a/../../x", "a/..", "..\\x", "C:\\x", "a\u0000b", "a\nb"]) {
      expect(() => checkRelativePath(bad)).toThrow(WorkspacePathError);
    }
  });

  test("symlinks are followed only while they stay inside", async () => {
    const root = dir("links");
    mkdirSync(path.join(root, "real"));
    writeFileSync(path.join(root, "real/file.txt"), "inside");
    symlinkSync(path.join(root, "real"), path.join(root, "inner-link"));
    symlinkSync("/etc", path.join(root, "etc-link"));
    symlinkSync("../../..", path.join(root, "real/up"));
    symlinkSync("/nowhere/at/all", path.join(root, "dangling"));

    const inside = await resolveWorkspacePath(root, "inner-link/file.txt");
    expect(inside.relative).toBe("real/file.txt");
    expect((await resolveWorkspacePath(root, "new/dir/file.txt")).relative).toBe("new/dir/file.txt");
    await expect(resolveWorkspacePath(root, "etc-link/passwd")).rejects.toThrow(/symbolic link/);
    await expect(resolveWorkspacePath(root, "etc-link/new-file")).rejects.toThrow(/symbolic link/);
    await expect(resolveWorkspacePath(root, "real/up/etc")).rejects.toThrow(/symbolic link/);
    await expect(resolveWorkspacePath(root, "dangling")).rejects.toThrow(/symbolic link/);
    await expect(resolveWorkspacePath(root, "dangling/child")).rejects.toThrow(/symbolic link/);
  });

  test("writes never go through a link out of the workspace", async () => {
    const root = dir("write");
    const outside = dir("outside");
    symlinkSync(outside, path.join(root, "out"));
    const workspace = new Workspace({
      root,
      sitePackages: dir("site"),
      python: "/usr/bin/python3",
      kernelEnv: {},
    });
    await expect(workspace.writeText("out/x.txt", "no")).rejects.toThrow(WorkspacePathError);
    expect(existsSync(path.join(outside, "x.txt"))).toBe(false);
    const written = await workspace.writeText("ok/y.txt", "yes");
    expect(readFileSync(written.absolute, "utf8")).toBe("yes");
  });
});

describe("one workspace on disk, several callers", () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3("switching");
  });
  afterAll(async () => {
    await s3?.close();
  });

  test("another caller waits for calls in flight, then gets only its own files", async () => {
    const root = dir("switch");
    const store = new S3WorkspaceStore({
      bucket: s3.bucket,
      prefix: "w/",
      endpoint: s3.endpoint,
      presignExpiresSeconds: 60,
    });
    const workspace = new Workspace({
      root,
      sitePackages: dir("site"),
      python: "/usr/bin/python3",
      kernelEnv: {},
      store,
    });

    const alice = await workspace.acquire("alice");
    writeFileSync(path.join(root, "alice.txt"), "a");
    let bobIn = false;
    const bobWaits = workspace.acquire("bob").then((release) => {
      bobIn = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(bobIn).toBe(false);
    // A second call of the caller already on disk does not wait.
    const alice2 = await workspace.acquire("alice");
    alice2();
    await workspace.sync();
    alice();

    const bob = await bobWaits;
    expect(existsSync(path.join(root, "alice.txt"))).toBe(false);
    writeFileSync(path.join(root, "bob.txt"), "b");
    await workspace.sync();
    bob();

    (await workspace.acquire("alice"))();
    expect(readFileSync(path.join(root, "alice.txt"), "utf8")).toBe("a");
    expect(existsSync(path.join(root, "bob.txt"))).toBe(false);
    store.client.destroy();
  });
});
