// The image in server mode (Fargate, a laptop): the image's ENTRYPOINT with the command `server`
// under bubblewrap (read-only root, tmpfs /tmp, uid 10001), driven by the official MCP SDK client
// over Streamable HTTP. Needs the built image (`pnpm image:build`); fails, never skips, without it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { freePort, spawnImage, stopImage, type ImageInfo, type SandboxChild } from "../../image/sandbox.mjs";
import { builtImage, NUMPY_PANDAS, PLOT, PNG_MAGIC, texts, type ToolContent } from "./helpers.js";

const TOKEN = "image-test-token-fedcba9876543210";
let info: ImageInfo;
let rootfs: string;
let child: SandboxChild | undefined;
let base: string;
let client: Client;

async function waitForHealth(url: string, proc: SandboxChild, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${proc.output}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no healthy ${url} within ${timeoutMs} ms:\n${proc.output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  ({ info, rootfs } = await builtImage());
  const port = await freePort();
  // HOST is left to the image (0.0.0.0, as on Fargate), so the token is required.
  child = spawnImage({
    info,
    rootfs,
    command: ["server"],
    env: { PORT: String(port), MCP_AUTH_TOKEN: TOKEN },
  });
  base = `http://127.0.0.1:${port}`;
  await waitForHealth(`${base}/health`, child, 90_000);
  client = new Client({ name: "jupyter-mcp-image-test", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    }),
  );
}, 180_000);

afterAll(async () => {
  await client?.close().catch(() => {});
  if (child) await stopImage(child);
});

describe("image, server mode (MCP SDK client over Streamable HTTP)", () => {
  test("GET /health", async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
  });

  test("the SDK client initialized and lists execute_code", async () => {
    expect(client.getServerVersion()?.name).toBeTruthy();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("execute_code");
  });

  test("execute_code: numpy and pandas", async () => {
    const result = await client.callTool({ name: "execute_code", arguments: { code: NUMPY_PANDAS } });
    expect(result.isError).toBeFalsy();
    expect(texts(result.content as ToolContent[])).toContain("sum_y 385");
  });

  test("execute_code: a matplotlib plot comes back as a PNG image", async () => {
    const result = await client.callTool({ name: "execute_code", arguments: { code: PLOT } });
    const images = (result.content as ToolContent[]).filter((c) => c.type === "image");
    expect(images[0]?.mimeType).toBe("image/png");
    expect(images[0]?.data?.startsWith(PNG_MAGIC)).toBe(true);
  });

  test("the image's HEALTHCHECK command passes against it, and fails on a dead port", async () => {
    const port = new URL(base).port;
    const check = ["node", "/usr/local/bin/jupyter-mcp-healthcheck.mjs"];
    const ok = spawnImage({ info, rootfs, command: check, env: { PORT: port } });
    expect((await ok.exited).code).toBe(0);
    const dead = spawnImage({ info, rootfs, command: check, env: { PORT: String(await freePort()) } });
    expect((await dead.exited).code).toBe(1);
  });

  test("requests without the token get 401", async () => {
    const res = await fetch(`${base}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
  });

  test("without MCP_AUTH_TOKEN the server refuses to listen on 0.0.0.0", async () => {
    const port = await freePort();
    const insecure = spawnImage({ info, rootfs, command: ["server"], env: { PORT: String(port) } });
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      insecure.exited,
      new Promise<"running">((r) => (timer = setTimeout(() => r("running"), 20_000))),
    ]);
    clearTimeout(timer);
    if (exit === "running") await stopImage(insecure);
    expect(exit).not.toBe("running");
    expect(exit === "running" ? 0 : exit.code).not.toBe(0);
  });
});
