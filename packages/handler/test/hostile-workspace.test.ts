import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { spawn } from "node:child_process";
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "../src/http/node-server.js";
import { newNotebook, serializeNotebook } from "../src/workspace/notebook.js";
import { S3WorkspaceStore } from "../src/workspace/s3-sync.js";
import { Workspace } from "../src/workspace/workspace.js";
import type * as Harness from "./support/harness.js";
import { startS3, type TestS3 } from "./support/s3.js";

// What a hostile user found in the workspace: torn notebook writes, hard links out of the
// workspace, error messages that show server paths, notebooks nested deep enough to blow the stack.
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = (label: string) => mkdtempSync(path.join(tmpdir(), `jmcp-hostile-${label}-`));
const workspaceAt = (root: string, store?: S3WorkspaceStore) =>
  new Workspace({
    root,
    sitePackages: dir("site"),
    python: "/usr/bin/python3",
    kernelEnv: {},
    ...(store ? { store } : {}),
  });
/** A valid notebook of about `mb` megabytes whose every cell carries `marker`. */
const bigNotebook = (marker: string, mb: number) =>
  serializeNotebook(
    newNotebook(
      Array.from({ length: mb * 16 }, (_, i) => ({
        type: "code" as const,
        source: `# ${marker} ${i}\n${marker.repeat(64 * 1024)}`,
      })),
    ),
  );

describe("notebook writes are atomic", () => {
  test("a writer SIGKILLed mid-write leaves the old notebook or the new one, never a torn file", async () => {
    // The child runs src/workspace/workspace.ts itself (bundled by esbuild), not a stale build.
    const { build } = await import("esbuild");
    const scratch = dir("kill");
    const bundle = path.join(scratch, "workspace.mjs");
    await build({
      entryPoints: [path.resolve(here, "../src/workspace/workspace.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      outfile: bundle,
      logLevel: "silent",
    });
    const a = bigNotebook("A", 16);
    const b = bigNotebook("B", 16);
    writeFileSync(path.join(scratch, "a.ipynb"), a);
    writeFileSync(path.join(scratch, "b.ipynb"), b);
    const script = `
      import { readFileSync } from "node:fs";
      const { Workspace } = await import(${JSON.stringify(bundle)});
      const [root, scratch] = process.argv.slice(1);
      const texts = [readFileSync(scratch + "/a.ipynb", "utf8"), readFileSync(scratch + "/b.ipynb", "utf8")];
      const ws = new Workspace({ root, sitePackages: scratch, python: "python3", kernelEnv: {} });
      for (let i = 0; ; i++) {
        await ws.writeText("big.ipynb", texts[i % 2]);
        if (i === 0) process.stdout.write("ready\\n");
      }`;
    for (let round = 0; round < 6; round++) {
      const root = dir(`kill-${round}`);
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, root, scratch], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
        child.once("exit", (code) => reject(new Error(`the writer exited early (code ${code})`)));
      });
      await new Promise((r) => setTimeout(r, 20 + round * 37));
      child.kill("SIGKILL");
      await exited;
      const text = readFileSync(path.join(root, "big.ipynb"), "utf8");
      expect(text.length).toBeGreaterThan(0);
      expect(text === a || text === b).toBe(true);
      // A killed writer may leave its temporary file; it is hidden and named so S3 sync skips it.
      for (const name of readdirSync(root).filter((n) => n !== "big.ipynb")) {
        expect(name).toMatch(/^\.big\.ipynb\.jmcp-tmp-[0-9a-f]+$/);
      }
    }
  });

  test("readers during 50 rewrites only ever see a whole notebook", async () => {
    const root = dir("readers");
    const workspace = workspaceAt(root);
    const texts = [bigNotebook("A", 2), bigNotebook("B", 2)];
    await workspace.writeText("nb.ipynb", texts[0]!);
    let writing = true;
    const seen = { reads: 0, bad: [] as string[] };
    const reader = async () => {
      while (writing) {
        const text = await readFile(path.join(root, "nb.ipynb"), "utf8");
        seen.reads += 1;
        try {
          JSON.parse(text);
        } catch {
          seen.bad.push(`${text.length} bytes`);
        }
        const viaTool = await workspace.readText("nb.ipynb", 1 << 26);
        if (viaTool.text !== texts[0] && viaTool.text !== texts[1]) seen.bad.push("readText: torn");
      }
    };
    const readers = [reader(), reader(), reader()];
    for (let i = 0; i < 50; i++) await workspace.writeText("nb.ipynb", texts[i % 2]!);
    writing = false;
    await Promise.all(readers);
    expect(seen.reads).toBeGreaterThan(10);
    expect({ torn: seen.bad.length, first: seen.bad.slice(0, 5) }).toEqual({ torn: 0, first: [] });
    expect(readdirSync(root)).toEqual(["nb.ipynb"]);
    expect(statSync(path.join(root, "nb.ipynb")).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  test("exclusive writes still refuse an existing file, directories are refused, no temp file is left", async () => {
    const root = dir("refuse");
    const workspace = workspaceAt(root);
    await workspace.writeText("a.ipynb", "{}", { exclusive: true });
    await expect(workspace.writeText("a.ipynb", "{}", { exclusive: true })).rejects.toThrow(
      /a\.ipynb already exists/,
    );
    // A symlink that stays inside is resolved first: the write replaces its target, the link stays.
    symlinkSync("a.ipynb", path.join(root, "link.ipynb"));
    expect((await workspace.writeText("link.ipynb", "[]")).relative).toBe("a.ipynb");
    expect(readFileSync(path.join(root, "link.ipynb"), "utf8")).toBe("[]");
    mkdirSync(path.join(root, "d.ipynb"));
    await expect(workspace.writeText("d.ipynb", "{}")).rejects.toThrow(/is a directory/);
    expect(readdirSync(root).sort()).toEqual(["a.ipynb", "d.ipynb", "link.ipynb"]);
  });

  describe("with S3", () => {
    let s3: TestS3;
    beforeAll(async () => {
      s3 = await startS3("hostile-tmp");
    });
    afterAll(async () => s3?.close());

    test("a write's temporary file, even one a killed writer left behind, is never uploaded", async () => {
      const root = dir("s3tmp");
      const store = new S3WorkspaceStore({
        bucket: s3.bucket,
        prefix: "t/",
        endpoint: s3.endpoint,
        presignExpiresSeconds: 60,
      });
      const workspace = workspaceAt(root, store);
      await workspace.bind(undefined);
      writeFileSync(path.join(root, ".nb.ipynb.jmcp-tmp-0123456789ab"), "{");
      await workspace.writeText("nb.ipynb", "{}\n");
      await workspace.writeText(".hidden-but-real.txt", "kept");
      const report = await workspace.sync();
      expect(report?.uploaded.sort()).toEqual([".hidden-but-real.txt", "nb.ipynb"]);
      expect(s3.puts.some((key) => key.includes("jmcp-tmp"))).toBe(false);
      store.client.destroy();
    });

    test("a restore replaces a hard link at a file's name instead of writing through it", async () => {
      const store = new S3WorkspaceStore({
        bucket: s3.bucket,
        prefix: "h/",
        endpoint: s3.endpoint,
        presignExpiresSeconds: 60,
      });
      const first = workspaceAt(dir("restore-a"), store);
      await first.bind("carol");
      await first.writeText("nb.ipynb", "from S3\n");
      await first.sync();
      const root = dir("restore-b");
      const outside = path.join(dir("restore-outside"), "theirs.txt");
      writeFileSync(outside, "theirs");
      linkSync(outside, path.join(root, "nb.ipynb"));
      await workspaceAt(root, store).bind("carol");
      expect(readFileSync(outside, "utf8")).toBe("theirs");
      expect(readFileSync(path.join(root, "nb.ipynb"), "utf8")).toBe("from S3\n");
      expect(readdirSync(root)).toEqual(["nb.ipynb"]);
      store.client.destroy();
    });
  });
});

describe("hostile input through the tools", () => {
  let server: RunningServer;
  let client: Client;
  let work: string;
  let stateRoot: string;
  // Loaded here, not at the top, so the Workspace tests above run even while the kernel engine
  // (which the harness imports) is mid-change in the working tree.
  let h: typeof Harness;
  const call = (...args: Parameters<typeof Harness.call>) => h.call(...args);
  const textOf = (result: Awaited<ReturnType<typeof Harness.call>>) => h.textOf(result);

  beforeAll(async () => {
    h = await import("./support/harness.js");
    const { startTestServer, connectClient } = h;
    stateRoot = dir("state");
    server = await startTestServer({ JUPYTER_STATE_ROOT: stateRoot });
    client = await connectClient(server.url);
    // The workspace is the kernel's working directory (README), wherever under the root it lives.
    work = textOf(await call(client, "execute_code", { code: "import os; print(os.getcwd())" })).trim();
    expect(work.startsWith(stateRoot)).toBe(true);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  const expectToolError = (result: Awaited<ReturnType<typeof call>>, pattern: RegExp) => {
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(pattern);
    expect(textOf(result)).not.toContain(stateRoot);
    expect(textOf(result)).not.toContain(tmpdir());
  };

  test("a hard link to a file outside the workspace is replaced, never written through", async () => {
    const outside = path.join(dir("outside"), "theirs.ipynb");
    const original = serializeNotebook(newNotebook([{ type: "code", source: "print('theirs')" }]));
    writeFileSync(outside, original);
    linkSync(outside, path.join(work, "linked.ipynb"));
    const result = await call(client, "overwrite_cell_source", {
      notebook_path: "linked.ipynb",
      cell_index: 0,
      cell_source: "print('mine')",
    });
    expect(result.isError).toBeFalsy();
    expect(readFileSync(outside, "utf8")).toBe(original);
    expect(readFileSync(path.join(work, "linked.ipynb"), "utf8")).toContain("print('mine')");
  });

  test("a file name longer than 255 bytes is a clear tool error without server paths", async () => {
    const long = `${"n".repeat(300)}.ipynb`;
    expectToolError(await call(client, "create_notebook", { filename: long }), /longer than 255 bytes/);
    expectToolError(await call(client, "read_notebook", { filename: long }), /longer than 255 bytes/);
    expectToolError(
      await call(client, "list_files", { path: `${"d".repeat(300)}/x` }),
      /longer than 255 bytes/,
    );
    // Multi-byte characters count as bytes: 100 × "é" is 200 bytes (fine), 130 × "中" is 390 (not).
    expect((await call(client, "create_notebook", { filename: "é".repeat(100) })).isError).toBeFalsy();
    expectToolError(await call(client, "create_notebook", { filename: "中".repeat(130) }), /255 bytes/);
  });

  test("file errors name the workspace path, never the server's absolute path", async () => {
    writeFileSync(path.join(work, "plain.txt"), "not a directory");
    symlinkSync("loop-b", path.join(work, "loop-a"));
    symlinkSync("loop-a", path.join(work, "loop-b"));
    expectToolError(await call(client, "read_notebook", { filename: "plain.txt/x.ipynb" }), /plain\.txt/);
    expectToolError(await call(client, "list_files", { path: "plain.txt/sub" }), /plain\.txt/);
    expectToolError(await call(client, "create_notebook", { filename: "plain.txt/n.ipynb" }), /plain\.txt/);
    expectToolError(await call(client, "read_notebook", { filename: "loop-a/x.ipynb" }), /loop-a/);
  });

  test("a notebook nested 100k deep is refused clearly, and the server lives on", async () => {
    const depth = 100_000;
    const deep = `{"nbformat":4,"nbformat_minor":5,"cells":[{"cell_type":"code","id":"c1","metadata":{},"source":"1","execution_count":null,"outputs":[]}],"metadata":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
    writeFileSync(path.join(work, "deep.ipynb"), deep);
    for (const [name, args] of [
      ["read_notebook", { filename: "deep.ipynb" }],
      ["read_cell", { notebook_path: "deep.ipynb", cell_index: 0 }],
      ["overwrite_cell_source", { notebook_path: "deep.ipynb", cell_index: 0, cell_source: "2" }],
      ["insert_cell", { notebook_path: "deep.ipynb", cell_index: -1, cell_type: "code", cell_source: "3" }],
      ["execute_cell", { notebook_path: "deep.ipynb", cell_index: 0 }],
    ] as const) {
      expectToolError(await call(client, name, args), /nested deeper than \d+ levels/);
    }
    expect(readFileSync(path.join(work, "deep.ipynb"), "utf8")).toBe(deep);
    // The limit sits above what the kernel can send (Python's json stops near 1000 levels): a deep
    // application/json display still saves.
    const made = await call(client, "create_notebook", {
      filename: "deep-out.ipynb",
      cells: [
        {
          type: "code",
          source: `from IPython.display import display\nd = 1\nfor _ in range(800): d = {"a": d}\ndisplay({"application/json": d}, raw=True)`,
        },
      ],
    });
    expect(made.isError).toBeFalsy();
    const ran = await call(client, "execute_cell", { notebook_path: "deep-out.ipynb", cell_index: 0 });
    expect(ran.isError).toBeFalsy();
    expect(readFileSync(path.join(work, "deep-out.ipynb"), "utf8")).toContain("application/json");
    const alive = await call(client, "execute_code", { code: "print('still here')" });
    expect(textOf(alive)).toContain("still here");
  });
});

describe("paths near PATH_MAX", () => {
  test("a path longer than 4096 bytes in all is refused by name, not with ENAMETOOLONG", async () => {
    let root = dir("deep-root");
    while (Buffer.byteLength(root) < 3600) root = path.join(root, "r".repeat(200));
    mkdirSync(root, { recursive: true });
    const workspace = workspaceAt(root);
    const input = Array.from({ length: 4 }, () => "s".repeat(200)).join("/");
    await expect(workspace.writeText(`${input}/x.ipynb`, "{}")).rejects.toThrow(/too long.*4096 bytes/);
    await expect(workspace.list(input)).rejects.toThrow(/too long.*4096 bytes/);
    await expect(workspace.list(input)).rejects.not.toThrow(new RegExp(root.slice(0, 40)));
  });
});
