import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  createMcpHandler,
  InMemoryTransport,
  McpServer,
  ProtocolError,
  ResourceNotFoundError,
  type BlobResourceContents,
  type ResourceLink,
  type TextResourceContents,
} from "@modelcontextprotocol/server";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { OutputLimits } from "../src/config.js";
import type { ExecutionResult } from "../src/kernel/execution.js";
import type { KernelSession } from "../src/kernel/session.js";
import { executionToToolResult } from "../src/mcp/content.js";
import {
  LISTING_META_KEY,
  registerWorkspaceResources,
  type WorkspaceResourceOptions,
} from "../src/mcp/resources.js";
import type { ToolContext } from "../src/mcp/tools/context.js";
import { writeTempName } from "../src/workspace/paths.js";
import { linkDroppedImages, OUTPUTS_DIR } from "../src/workspace/tool-support.js";
import { Workspace } from "../src/workspace/workspace.js";

const dir = (label: string) => mkdtempSync(path.join(tmpdir(), `jmcp-res-${label}-`));
const LIMITS: OutputLimits = {
  maxOutputChars: 1000,
  maxImages: 10,
  maxImageBytes: 1_500_000,
  maxResponseBytes: 4_500_000,
};

function workspaceAt(root: string): Workspace {
  return new Workspace({ root, sitePackages: dir("site"), python: "/usr/bin/python3", kernelEnv: {} });
}

function contextFor(workspace: Workspace | undefined, limits: OutputLimits = LIMITS): ToolContext {
  // Resources never touch the kernel session.
  return {
    session: undefined as unknown as KernelSession,
    limits,
    defaultTimeoutSeconds: 30,
    maxTimeoutSeconds: 60,
    ...(workspace ? { workspace } : {}),
  };
}

function put(root: string, relative: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function connect(
  ctx: ToolContext,
  options?: WorkspaceResourceOptions,
  setup?: (server: McpServer) => void,
): Promise<Client> {
  const server = new McpServer({ name: "resources-test", version: "1.0.0" });
  registerWorkspaceResources(server, ctx, options);
  setup?.(server);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "jest", version: "1.0.0" });
  await client.connect(clientSide);
  open.push({ close: async () => (await client.close(), await server.close()) });
  return client;
}

/** One raw page (the client's listResources() without a cursor walks all pages). */
function firstPage(client: Client) {
  return client.request({ method: "resources/list", params: {} });
}

async function readError(client: Client, uri: string): Promise<ProtocolError> {
  const err = await client.readResource({ uri }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProtocolError)) throw new Error(`${uri} was read, or failed oddly: ${String(err)}`);
  return err;
}

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

describe("resources/read", () => {
  test("text files come back as text with the extension's media type", async () => {
    const root = dir("text");
    const files: [string, string, string][] = [
      ["analysis.py", "import numpy as np\nprint('é')\n", "text/x-python"],
      ["nb.ipynb", JSON.stringify({ cells: [], nbformat: 4 }), "application/x-ipynb+json"],
      ["table.csv", "a,b\n1,2\n", "text/csv"],
      ["README.md", "# Title\n", "text/markdown"],
      ["config.json", '{"k": [1, 2]}', "application/json"],
      ["Makefile", "all:\n\techo ok\n", "text/plain"],
    ];
    for (const [name, text] of files) put(root, name, text);
    const client = await connect(contextFor(workspaceAt(root)));
    for (const [name, text, mimeType] of files) {
      const { contents } = await client.readResource({ uri: `workspace://${name}` });
      expect(contents).toEqual([{ uri: `workspace://${name}`, mimeType, text }]);
    }
  });

  test("binary files come back byte for byte as base64 blobs", async () => {
    const root = dir("binary");
    const random = randomBytes(256 * 1024);
    random[10] = 0xff; // never valid UTF-8
    put(root, "blob.bin", random);
    put(root, "plot.png", Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), randomBytes(100)]));
    put(root, "ascii.parquet", "PAR1 looks like text but is not served as text");
    put(root, "latin1.json", Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
    const client = await connect(contextFor(workspaceAt(root)));

    const blob = (await client.readResource({ uri: "workspace://blob.bin" }))
      .contents[0] as BlobResourceContents;
    expect(blob.mimeType).toBe("application/octet-stream");
    expect(Buffer.from(blob.blob, "base64").equals(random)).toBe(true);
    expect(
      ((await client.readResource({ uri: "workspace://plot.png" })).contents[0] as BlobResourceContents)
        .mimeType,
    ).toBe("image/png");
    const parquet = (await client.readResource({ uri: "workspace://ascii.parquet" }))
      .contents[0] as BlobResourceContents;
    expect(parquet).toMatchObject({ mimeType: "application/vnd.apache.parquet" });
    expect(Buffer.from(parquet.blob, "base64").toString()).toMatch(/^PAR1/);
    const latin1 = (await client.readResource({ uri: "workspace://latin1.json" }))
      .contents[0] as BlobResourceContents;
    expect(latin1).toMatchObject({
      mimeType: "application/json",
      blob: Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]).toString("base64"),
    });
  });

  test("paths that leave the workspace, or are not plain files in it, are refused", async () => {
    const parent = dir("confine");
    const root = path.join(parent, "work");
    put(root, "real.txt", "inside");
    put(root, "sub/file.txt", "sub");
    put(parent, "outside.txt", "SECRET outside the workspace");
    symlinkSync("/etc/passwd", path.join(root, "passwd-link"));
    symlinkSync("/etc", path.join(root, "etc-link"));
    symlinkSync(path.join(root, "real.txt"), path.join(root, "alias.txt"));
    symlinkSync("/nowhere", path.join(root, "dangling"));
    const client = await connect(contextFor(workspaceAt(root)));

    const refused: [string, RegExp][] = [
      ["workspace://passwd-link", /symbolic link/],
      ["workspace://etc-link/passwd", /symbolic link/],
      ["workspace://alias.txt", /symbolic link/],
      ["workspace://dangling", /symbolic link/],
      ["workspace://../outside.txt", /"\.\."/],
      ["workspace://%2e%2e/outside.txt", /"\.\."/],
      ["workspace://%2E%2E/%2E%2E/etc/passwd", /"\.\."/],
      ["workspace://sub/..%2F..%2Foutside.txt", /path separator/],
      ["workspace:///etc/passwd", /absolute/],
      [`workspace://${parent.split("/").map(encodeURIComponent).join("/")}/outside.txt`, /absolute/],
      ["workspace://real%00.txt", /NUL/],
      ["workspace://real.txt%0a", /control characters/],
      ["workspace://sub", /not a regular file/],
      ["workspace://real.txt?raw=1", /no query or fragment/],
      ["workspace://%zz", /percent-encoding/],
    ];
    for (const [uri, message] of refused) {
      const err = await readError(client, uri);
      expect({ uri, code: err.code, message: err.message }).toEqual({
        uri,
        code: -32602,
        message: expect.stringMatching(message),
      });
      // Not "not found": the data carries a reason beside the URI.
      expect(err).not.toBeInstanceOf(ResourceNotFoundError);
      expect(err.message).not.toMatch(/SECRET|root:/);
    }
    // Dot segments after the first are folded by URL parsing and cannot climb out of it.
    const folded = await readError(client, "workspace://sub/../../outside.txt");
    expect(folded).toBeInstanceOf(ResourceNotFoundError);
    expect(
      ((await client.readResource({ uri: "workspace://sub/./file.txt" })).contents[0] as TextResourceContents)
        .text,
    ).toBe("sub");
  });

  test("a missing file is the SDK's resource-not-found error (-32602 with data { uri })", async () => {
    const client = await connect(contextFor(workspaceAt(dir("missing"))));
    const err = await readError(client, "workspace://nope/missing.csv");
    expect(err).toBeInstanceOf(ResourceNotFoundError);
    expect(err.code).toBe(-32602);
    expect(err.data).toEqual({ uri: "workspace://nope/missing.csv" });
    expect(err.message).toMatch(/nope\/missing\.csv does not exist/);
    expect(await readError(client, "other://x")).toBeInstanceOf(ResourceNotFoundError);
  });

  test("files over the cap are refused, naming the size; the cap follows MCP_MAX_RESPONSE_BYTES", async () => {
    const root = dir("large");
    put(root, "fits.bin", randomBytes(3000));
    put(root, "big.bin", randomBytes(3001));
    const client = await connect(contextFor(workspaceAt(root), { ...LIMITS, maxResponseBytes: 4000 }));
    const fits = (await client.readResource({ uri: "workspace://fits.bin" }))
      .contents[0] as BlobResourceContents;
    expect(Buffer.from(fits.blob, "base64")).toHaveLength(3000);
    const err = await readError(client, "workspace://big.bin");
    expect(err.code).toBe(-32602);
    expect(err.message).toMatch(/big\.bin is 3001 bytes .*more than the 3000 bytes.*list_files/);
    expect(err.data).toMatchObject({ reason: "too_large", size: 3001, limit: 3000 });

    put(root, "ten.bin", Buffer.alloc(11 * 1024 * 1024, 1));
    const capped = await connect(contextFor(workspaceAt(root)), { maxReadBytes: 10 * 1024 * 1024 });
    expect((await readError(capped, "workspace://ten.bin")).message).toMatch(/11534336 bytes \(11\.5 MB\)/);
  });
});

describe("images dropped from a response", () => {
  const png = (size: number) =>
    Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), randomBytes(size - 8)]);
  const execution = (id: string, images: Buffer[]): ExecutionResult => ({
    executionId: id,
    status: "ok",
    executionCount: 1,
    outputs: images.map((image) => ({
      type: "display_data" as const,
      data: { "image/png": image.toString("base64"), "text/plain": "<Figure>" },
    })),
    droppedChars: 0,
    notes: [],
    kernelRestarted: false,
    durationMs: 3,
  });

  test("a 20 MB PNG becomes a workspace:// resource link that resources/read returns", async () => {
    const root = dir("dropped");
    const workspace = workspaceAt(root);
    const image = png(20 * 1024 * 1024);
    const run = execution("0b6f7c1e-exec", [image]);
    const rendered = executionToToolResult(run, LIMITS);
    expect(rendered.content.some((c) => c.type === "image")).toBe(false);

    const linked = await linkDroppedImages(rendered, run, workspace, "execute-code");
    const link = linked.content.find((c): c is ResourceLink => c.type === "resource_link");
    expect(link).toMatchObject({
      uri: `workspace://${OUTPUTS_DIR}/0b6f7c1e-exec-0.png`,
      name: "0b6f7c1e-exec-0.png",
      mimeType: "image/png",
      size: image.length,
    });
    expect(link!.description).toMatch(/resources\/read/);

    const client = await connect(contextFor(workspace, { ...LIMITS, maxResponseBytes: 40_000_000 }));
    const { contents } = await client.readResource({ uri: link!.uri });
    expect(contents[0]).toMatchObject({ uri: link!.uri, mimeType: "image/png" });
    expect(Buffer.from((contents[0] as BlobResourceContents).blob, "base64").equals(image)).toBe(true);
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain(link!.uri);
  });

  test("a later read of the same execution (outputs counted from 0 again) saves under new numbers", async () => {
    const workspace = workspaceAt(dir("renumber"));
    const small = { ...LIMITS, maxImageBytes: 10 };
    const first = png(64);
    const later = [png(80), png(96)];
    const links: ResourceLink[] = [];
    for (const images of [[first], later]) {
      const run = execution("same-exec", images);
      const linked = await linkDroppedImages(executionToToolResult(run, small), run, workspace, "x");
      links.push(...linked.content.filter((c): c is ResourceLink => c.type === "resource_link"));
    }
    expect(links.map((l) => l.name)).toEqual(["same-exec-0.png", "same-exec-1.png", "same-exec-2.png"]);
    const client = await connect(contextFor(workspace));
    for (const [i, image] of [first, ...later].entries()) {
      const blob = (await client.readResource({ uri: links[i]!.uri })).contents[0] as BlobResourceContents;
      expect(Buffer.from(blob.blob, "base64").equals(image)).toBe(true);
    }
  });

  test("saved images are pruned to the newest 32; other files in the folder are left alone", async () => {
    const root = dir("prune");
    const workspace = workspaceAt(root);
    put(root, `${OUTPUTS_DIR}/mine.txt`, "keep me");
    const small = { ...LIMITS, maxImageBytes: 10 };
    for (let i = 0; i < 35; i++) {
      const run = execution(`run${String(i).padStart(2, "0")}`, [png(64)]);
      await linkDroppedImages(executionToToolResult(run, small), run, workspace, "execute-code");
    }
    const left = readdirSync(path.join(root, OUTPUTS_DIR)).sort();
    expect(left).toContain("mine.txt");
    expect(left.filter((n) => n.endsWith(".png"))).toHaveLength(32);
    expect(left).toContain("run34-0.png");
  });

  test("a symlinked outputs folder is not written through; the result says so", async () => {
    const root = dir("linked-outputs");
    const elsewhere = dir("elsewhere");
    symlinkSync(elsewhere, path.join(root, OUTPUTS_DIR));
    const run = execution("e1", [png(64)]);
    const linked = await linkDroppedImages(
      executionToToolResult(run, { ...LIMITS, maxImageBytes: 10 }),
      run,
      workspaceAt(root),
      "execute-code",
    );
    expect(linked.content.some((c) => c.type === "resource_link")).toBe(false);
    expect(JSON.stringify(linked.content)).toMatch(/Image output 0: not saved in the workspace/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  test("images that fit, and calls without a workspace, are left as they were", async () => {
    const run = execution("e2", [png(64)]);
    const rendered = executionToToolResult(run, LIMITS);
    expect(rendered.content.some((c) => c.type === "image")).toBe(true);
    const root = dir("fits");
    expect(await linkDroppedImages(rendered, run, workspaceAt(root), "x")).toEqual(rendered);
    expect(readdirSync(root)).toEqual([]);
    const dropped = executionToToolResult(run, { ...LIMITS, maxImageBytes: 10 });
    expect(await linkDroppedImages(dropped, run, undefined, "x")).toBe(dropped);
  });
});

describe("the 2026-07-28 era", () => {
  test("pages and reads the same way through the SDK's modern HTTP handler", async () => {
    const root = dir("modern");
    for (let i = 0; i < 130; i++) put(root, `f${String(i).padStart(3, "0")}.txt`, `file ${i}`);
    const ctx = contextFor(workspaceAt(root));
    const handler = createMcpHandler(
      () => {
        const server = new McpServer({ name: "resources-test", version: "1.0.0" });
        registerWorkspaceResources(server, ctx, {
          walkLimits: { maxFiles: 125, maxEntries: 1000, maxDepth: 20 },
        });
        return server;
      },
      { legacy: "reject" },
    );
    const client = new Client(
      { name: "jest", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL("http://127.0.0.1/mcp"), {
        fetch: (url, init) => handler.fetch(new Request(url, init)),
      }),
    );
    open.push({ close: async () => (await client.close(), await handler.close()) });
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");

    const one = await firstPage(client);
    expect(one).toMatchObject({ ttlMs: 0, cacheScope: "private" });
    expect(one.resources).toHaveLength(100);
    // Our note sits beside the SDK's own _meta (serverInfo), not instead of it.
    expect(Object.keys(one._meta ?? {}).sort()).toEqual([
      "io.modelcontextprotocol/serverInfo",
      LISTING_META_KEY,
    ]);
    const two = await client.listResources({ cursor: one.nextCursor! });
    expect(two.resources.map((r) => r.name)).toEqual(Array.from({ length: 25 }, (_, i) => `f${100 + i}.txt`));
    expect(two.nextCursor).toBeUndefined();
    const read = await client.readResource({ uri: "workspace://f129.txt" });
    expect((read.contents[0] as TextResourceContents).text).toBe("file 129");
    const err = await readError(client, "workspace://missing.txt");
    expect(err).toBeInstanceOf(ResourceNotFoundError);
    expect(err.code).toBe(-32602);
  });
});
