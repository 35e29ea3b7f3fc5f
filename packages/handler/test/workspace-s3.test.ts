/* eslint-disable @typescript-eslint/no-explicit-any -- tool results are JSON, inspected loosely here. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { RunningServer } from "../src/http/node-server.js";
import { callerSegment } from "../src/workspace/s3-sync.js";
import { call, connectClient, startTestServer, textOf } from "./support/harness.js";
import { startS3, type TestS3 } from "./support/s3.js";

// The workspace over MCP with S3 persistence (s3rver): cold starts, change-only uploads, deletions,
// presigned resource links, and one prefix per caller identity.
let s3: TestS3;
const servers: RunningServer[] = [];
const clients: Client[] = [];

async function start(env: Record<string, string> = {}): Promise<{ server: RunningServer; client: Client }> {
  const server = await startTestServer({ ...s3.env, MCP_WORKSPACE_PREFIX: "ws/", ...env });
  const client = await connectClient(server.url);
  servers.push(server);
  clients.push(client);
  return { server, client };
}

async function stop(server: RunningServer, client: Client): Promise<void> {
  await client.close();
  await server.close();
}

beforeAll(async () => {
  s3 = await startS3();
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  for (const s of servers) await s.close().catch(() => undefined);
  await s3?.close();
});

const json = (result: CallToolResult) => result.structuredContent as Record<string, any>;
const files = `ws/files/${callerSegment(undefined)}/`;

describe("workspace persistence in S3", () => {
  test("files and notebooks survive a cold start; only changed files are uploaded; deletions are mirrored", async () => {
    const a = await start();
    s3.puts.length = 0;
    await call(a.client, "create_notebook", {
      filename: "keep.ipynb",
      cells: [{ type: "code", source: "print('kept')\n2 + 2" }],
    });
    expect(s3.puts).toEqual([`${files}keep.ipynb`]);

    s3.puts.length = 0;
    await call(a.client, "execute_cell", { notebook_path: "keep.ipynb", cell_index: 0 });
    expect(s3.puts).toEqual([`${files}keep.ipynb`]);

    s3.puts.length = 0;
    await call(a.client, "execute_code", {
      code: "open('results.txt', 'w').write('42\\n')\nopen('scratch.txt', 'w').write('temporary')",
    });
    expect(s3.puts.sort()).toEqual([`${files}results.txt`, `${files}scratch.txt`]);

    // Calls that change nothing upload nothing.
    s3.puts.length = 0;
    await call(a.client, "get_kernel_status");
    await call(a.client, "read_notebook", { filename: "keep.ipynb" });
    await call(a.client, "execute_code", { code: "x = 1" });
    expect(s3.puts).toEqual([]);

    s3.deletes.length = 0;
    await call(a.client, "execute_code", { code: "import os\nos.remove('scratch.txt')" });
    expect(s3.deletes).toEqual([`${files}scratch.txt`]);
    await stop(a.server, a.client);

    // A new process with an empty state root: the workspace comes back from S3.
    s3.puts.length = 0;
    const b = await start();
    expect(b.server.runtime.workspace(undefined).root).not.toBe(a.server.runtime.workspace(undefined).root);
    const listed = await call(b.client, "list_files", {});
    expect(
      json(listed)
        .entries.map((e: any) => e.name)
        .sort(),
    ).toEqual(["keep.ipynb", "results.txt"]);
    expect(json(listed).persistent).toBe(true);
    const notebook = await call(b.client, "read_notebook", { filename: "keep.ipynb" });
    expect(json(notebook).cells[0].outputs.map((o: any) => o.output_type)).toEqual([
      "stream",
      "execute_result",
    ]);
    const read = await call(b.client, "execute_code", { code: "open('results.txt').read()" });
    expect(textOf(read)).toContain("42");
    expect(s3.puts).toEqual([]);
    await stop(b.server, b.client);
  });

  test("outputs too large for a response come back as presigned resource links that return the bytes", async () => {
    const c = await start({ MCP_MAX_IMAGE_BYTES: "100", MCP_MAX_RESPONSE_BYTES: "20000" });
    await call(c.client, "create_notebook", {
      filename: "plot.ipynb",
      cells: [
        { type: "code", source: "import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nplt.show()" },
        { type: "markdown", source: "x".repeat(30_000) },
      ],
    });
    const ran = await call(c.client, "execute_cell", { notebook_path: "plot.ipynb", cell_index: 0 });
    expect(ran.content.some((x) => x.type === "image")).toBe(false);
    const link = ran.content.find((x) => x.type === "resource_link") as
      { uri: string; mimeType: string; name: string } | undefined;
    expect(link).toBeDefined();
    expect(link!.mimeType).toBe("image/png");
    const png = Buffer.from(await (await fetch(link!.uri)).arrayBuffer());
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    const big = await call(c.client, "read_notebook", { filename: "plot.ipynb" });
    expect(big.isError).toBeFalsy();
    const nbLink = big.content.find((x) => x.type === "resource_link") as { uri: string } | undefined;
    expect(nbLink?.uri).toMatch(/X-Amz-Expires=3600/);
    const fetched = await (await fetch(nbLink!.uri)).json();
    expect(fetched.cells[1].source.join("")).toHaveLength(30_000);
    expect(fetched.cells[0].outputs.some((o: any) => o.data?.["image/png"])).toBe(true);
    await stop(c.server, c.client);
  });

  test("each caller identity gets its own workspace prefix and files", async () => {
    const d = await start();
    const app = d.server.runtime.app;
    let id = 10;
    const tool = async (identity: string, name: string, args: Record<string, unknown>) => {
      const response = await app(
        new Request("http://127.0.0.1/mcp", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: id++,
            method: "tools/call",
            params: { name, arguments: args },
          }),
        }),
        { identity },
      );
      return ((await response.json()) as { result: CallToolResult }).result;
    };
    const names = async (identity: string) =>
      json(await tool(identity, "list_files", {})).entries.map((e: any) => e.name);

    s3.puts.length = 0;
    await tool("jwt:issuer|alice", "execute_code", { code: "open('alice.txt', 'w').write('a')" });
    expect(s3.puts).toEqual([`ws/files/${callerSegment("jwt:issuer|alice")}/alice.txt`]);
    expect(await names("jwt:issuer|bob")).toEqual([]);
    await tool("jwt:issuer|bob", "execute_code", { code: "open('bob.txt', 'w').write('b')" });
    expect(await names("jwt:issuer|alice")).toEqual(["alice.txt"]);
    expect(await names("jwt:issuer|bob")).toEqual(["bob.txt"]);
    expect(s3.puts).toContain(`ws/files/${callerSegment("jwt:issuer|bob")}/bob.txt`);
    await stop(d.server, d.client);
  });
});
