import {
  ProtocolError,
  ResourceNotFoundError,
  type TextResourceContents,
} from "@modelcontextprotocol/server";
import { execFileSync } from "node:child_process";
import { symlinkSync } from "node:fs";
import path from "node:path";
import { LISTING_META_KEY } from "../src/mcp/resources.js";
import { writeTempName } from "../src/workspace/paths.js";
import {
  closeAll,
  connect,
  contextFor,
  dir,
  firstPage,
  put,
  readError,
  workspaceAt,
} from "./support/resources.js";

afterEach(closeAll);

describe("resources/list", () => {
  test("250 files come in 3 pages of at most 100, in path order, through an opaque cursor", async () => {
    const root = dir("paging");
    const names = Array.from({ length: 250 }, (_, i) => `data/part-${String(i).padStart(3, "0")}.csv`);
    for (const name of names) put(root, name, "a,b\n1,2\n");
    const client = await connect(contextFor(workspaceAt(root)));

    const one = await firstPage(client);
    expect(one.resources).toHaveLength(100);
    expect(one.nextCursor).toEqual(expect.any(String));
    expect(one.nextCursor).not.toContain("part-099");
    const two = await client.listResources({ cursor: one.nextCursor! });
    expect(two.resources).toHaveLength(100);
    const three = await client.listResources({ cursor: two.nextCursor! });
    expect(three.resources).toHaveLength(50);
    expect(three.nextCursor).toBeUndefined();

    const uris = [...one.resources, ...two.resources, ...three.resources].map((r) => r.uri);
    expect(uris).toEqual(names.map((n) => `workspace://${n}`));
    expect(one.resources[0]).toEqual({
      uri: "workspace://data/part-000.csv",
      name: "data/part-000.csv",
      mimeType: "text/csv",
      size: 8,
      annotations: { lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    // Without a cursor the SDK client walks every page itself.
    expect((await client.listResources()).resources).toHaveLength(250);
  });

  test("the cursor is a position: files removed or added before it neither repeat nor skip", async () => {
    const root = dir("position");
    for (let i = 0; i < 150; i++) put(root, `f${String(i).padStart(3, "0")}.txt`, "x");
    const client = await connect(contextFor(workspaceAt(root)));
    const one = await firstPage(client);
    execFileSync("rm", [path.join(root, "f000.txt"), path.join(root, "f050.txt")]);
    put(root, "a-new-first.txt", "x");
    const two = await client.listResources({ cursor: one.nextCursor! });
    expect(two.resources[0]!.name).toBe("f100.txt");
    expect(two.resources).toHaveLength(50);
  });

  test("a tampered, truncated or foreign cursor is refused with -32602", async () => {
    const root = dir("cursor");
    for (let i = 0; i < 120; i++) put(root, `n${i}.txt`, "x");
    const client = await connect(contextFor(workspaceAt(root)));
    const { nextCursor } = await firstPage(client);
    const flipped = `${nextCursor!.slice(0, 3)}${nextCursor![3] === "A" ? "B" : "A"}${nextCursor!.slice(4)}`;
    for (const cursor of [flipped, nextCursor!.slice(0, -2), "not-a-cursor", "100"]) {
      const err = await client.listResources({ cursor }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).not.toBeInstanceOf(ResourceNotFoundError);
      expect((err as ProtocolError).code).toBe(-32602);
      expect((err as ProtocolError).message).toMatch(/Invalid cursor.*nextCursor/);
    }
  });

  test("nested files are listed; symlinks, temp files, caches, FIFOs and odd names are not", async () => {
    const root = dir("nested");
    put(root, "a/b/c/deep.py", "print(1)\n");
    put(root, "a/z.txt", "z");
    put(root, "a-b.txt", "ab");
    put(root, "notebooks/analysis.ipynb", "{}");
    put(root, "with space/100% #1?.md", "# odd");
    put(root, "ünï/code.txt", "u");
    put(root, "__pycache__/x.pyc", "c");
    put(root, "sub/.ipynb_checkpoints/n-checkpoint.ipynb", "{}");
    put(root, `sub/${writeTempName("half.txt")}`, "in flight");
    put(root, "back\\slash.txt", "unreachable by a path argument");
    symlinkSync("/etc/passwd", path.join(root, "passwd-link"));
    symlinkSync(path.join(root, "a"), path.join(root, "a-link"));
    symlinkSync(path.join(root, "a/z.txt"), path.join(root, "z-link.txt"));
    execFileSync("mkfifo", [path.join(root, "pipe")]);
    const client = await connect(contextFor(workspaceAt(root)));

    const { resources } = await client.listResources();
    expect(resources.map((r) => r.name)).toEqual([
      "a/b/c/deep.py",
      "a/z.txt",
      "a-b.txt",
      "notebooks/analysis.ipynb",
      "with space/100% #1?.md",
      "ünï/code.txt",
    ]);
    const odd = resources.find((r) => r.name.startsWith("with space"))!;
    expect(odd.uri).toBe("workspace://with%20space/100%25%20%231%3F.md");
    expect(resources.find((r) => r.name === "notebooks/analysis.ipynb")!.mimeType).toBe(
      "application/x-ipynb+json",
    );
    // Every listed URI reads back as the file it names.
    for (const r of resources) {
      const { contents } = await client.readResource({ uri: r.uri });
      expect(contents[0]!.uri).toBe(r.uri);
    }
    const read = await client.readResource({ uri: odd.uri });
    expect((read.contents[0] as TextResourceContents).text).toBe("# odd");
  });

  test("the walk is bounded; the note on what was left out rides on every page's _meta", async () => {
    const root = dir("bounds");
    for (let i = 0; i < 15; i++) put(root, `f${String(i).padStart(2, "0")}.txt`, "x");
    put(root, `${Array.from({ length: 4 }, (_, i) => `d${i}`).join("/")}/too-deep.txt`, "x");
    const client = await connect(contextFor(workspaceAt(root)), {
      pageSize: 4,
      walkLimits: { maxFiles: 10, maxEntries: 1000, maxDepth: 3 },
    });
    const one = await firstPage(client);
    expect(one._meta?.[LISTING_META_KEY]).toMatchObject({ truncated: true, reason: "files" });
    expect(String((one._meta?.[LISTING_META_KEY] as { note: string }).note)).toMatch(
      /first 10 files.*list_files/,
    );
    const all = await client.listResources();
    expect(all.resources.map((r) => r.name)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `f${String(i).padStart(2, "0")}.txt`),
    ]);

    const deep = await connect(contextFor(workspaceAt(root)), {
      walkLimits: { maxFiles: 100, maxEntries: 1000, maxDepth: 3 },
    });
    const page = await firstPage(deep);
    expect(page.resources.map((r) => r.name)).not.toContain("d0/d1/d2/d3/too-deep.txt");
    expect(page._meta?.[LISTING_META_KEY]).toMatchObject({ reason: "depth" });
    // Out of the listing is not out of reach.
    const read = await deep.readResource({ uri: "workspace://d0/d1/d2/d3/too-deep.txt" });
    expect((read.contents[0] as TextResourceContents).text).toBe("x");
  });

  test("resources registered elsewhere on the server stay listed, on the first page", async () => {
    const root = dir("others");
    for (let i = 0; i < 101; i++) put(root, `f${String(i).padStart(3, "0")}.txt`, "x");
    const client = await connect(contextFor(workspaceAt(root)), {}, (server) =>
      server.registerResource("guide", "docs://guide", { mimeType: "text/markdown" }, async (uri) => ({
        contents: [{ uri: uri.href, text: "# guide" }],
      })),
    );
    const one = await firstPage(client);
    expect(one.resources[0]).toMatchObject({ uri: "docs://guide", name: "guide" });
    expect(one.resources).toHaveLength(101);
    const two = await client.listResources({ cursor: one.nextCursor! });
    expect(two.resources.map((r) => r.uri)).toEqual(["workspace://f100.txt"]);
    expect(
      ((await client.readResource({ uri: "docs://guide" })).contents[0] as TextResourceContents).text,
    ).toBe("# guide");
  });

  test("without a workspace nothing is listed and reads say why", async () => {
    const client = await connect(contextFor(undefined));
    expect((await firstPage(client)).resources).toEqual([]);
    const err = await readError(client, "workspace://a.txt");
    expect(err).toBeInstanceOf(ResourceNotFoundError);
    expect(err.message).toMatch(/No workspace is available/);
  });
});

describe("the workspace://{+path} template", () => {
  test("is listed, and completes paths", async () => {
    const root = dir("template");
    put(root, "data/one.csv", "1");
    put(root, "data/two.csv", "2");
    put(root, "notes.md", "n");
    const client = await connect(contextFor(workspaceAt(root)));
    expect(client.getServerCapabilities()?.resources).toEqual({ listChanged: false });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([
      expect.objectContaining({
        name: "workspace-file",
        uriTemplate: "workspace://{+path}",
        title: "Workspace file",
      }),
    ]);
    const completed = await client.complete({
      ref: { type: "ref/resource", uri: "workspace://{+path}" },
      argument: { name: "path", value: "data/" },
    });
    expect(completed.completion.values).toEqual(["data/one.csv", "data/two.csv"]);
  });
});
