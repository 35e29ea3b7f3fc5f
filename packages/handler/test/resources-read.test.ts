import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  createMcpHandler,
  McpServer,
  ResourceNotFoundError,
  type BlobResourceContents,
  type TextResourceContents,
} from "@modelcontextprotocol/server";
import { randomBytes } from "node:crypto";
import { symlinkSync } from "node:fs";
import path from "node:path";
import { LISTING_META_KEY, registerWorkspaceResources } from "../src/mcp/resources.js";
import {
  closeAll,
  connect,
  contextFor,
  dir,
  firstPage,
  LIMITS,
  put,
  readError,
  track,
  workspaceAt,
} from "./support/resources.js";

afterEach(closeAll);

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
    track({ close: async () => (await client.close(), await handler.close()) });
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
