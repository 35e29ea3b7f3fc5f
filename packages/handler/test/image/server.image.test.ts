// The image in server mode (Fargate, a laptop): the image's ENTRYPOINT with the command `server`
// under bubblewrap (read-only root, tmpfs /tmp, uid 10001), driven by the official MCP SDK client
// over Streamable HTTP. Needs the built image (`pnpm image:build`); fails, never skips, without it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { freePort, spawnImage, stopImage, type ImageInfo, type SandboxChild } from "../../image/sandbox.mjs";
import {
  builtImage,
  environValueProbe,
  lastJsonLine,
  NUMPY_PANDAS,
  PLOT,
  PNG_MAGIC,
  PROBE,
  texts,
  type ToolContent,
} from "./helpers.js";

const TOKEN = "image-test-token-fedcba9876543210";
// Two named callers (MCP_AUTH_TOKENS), each with its own kernel.
const CALLERS = { alice: "image-test-alice-0123456789abcdef", bob: "image-test-bob-fedcba9876543210" };
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

async function connect(token: string): Promise<Client> {
  const c = new Client({ name: "jupyter-mcp-image-test", version: "0.0.0" });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return c;
}

async function run(c: Client, code: string): Promise<string> {
  const result = await c.callTool({ name: "execute_code", arguments: { code } });
  const out = texts(result.content as ToolContent[]);
  if (result.isError) throw new Error(`execute_code failed: ${out}`);
  return out;
}

beforeAll(async () => {
  ({ info, rootfs } = await builtImage());
  const port = await freePort();
  // HOST is left to the image (0.0.0.0, as on Fargate), so the token is required.
  child = spawnImage({
    info,
    rootfs,
    command: ["server"],
    env: {
      PORT: String(port),
      MCP_AUTH_TOKEN: TOKEN,
      // Sealed like the tokens: the /proc probe must not find it in any process's environ.
      MCP_CHECKPOINT_KEY: "checkpoint-key-that-no-kernel-may-read-0123456789",
      MCP_AUTH_TOKENS: Object.entries(CALLERS)
        .map(([name, token]) => `${name}=${token}`)
        .join(","),
    },
  });
  base = `http://127.0.0.1:${port}`;
  await waitForHealth(`${base}/health`, child, 90_000);
  client = await connect(TOKEN);
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

  test("two named callers get separate kernels: one's variables are not the other's", async () => {
    const alice = await connect(CALLERS.alice);
    const bob = await connect(CALLERS.bob);
    try {
      await run(alice, "shared_name = 'alice'\nalice_only = 41");
      await run(bob, "shared_name = 'bob'");
      expect(await run(bob, "print('alice_only' in globals(), shared_name)")).toContain("False bob");
      expect(await run(alice, "print(alice_only + 1, shared_name)")).toContain("42 alice");
      // The default caller (MCP_AUTH_TOKEN) is a third kernel.
      expect(await run(client, "print('shared_name' in globals())")).toContain("False");
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  test("no credential, named tokens included, is in any process's environment", async () => {
    const alice = await connect(CALLERS.alice);
    try {
      const probe = lastJsonLine(await run(alice, PROBE));
      expect(probe).toMatchObject({ uid: 10001, secret_env: [], proc_env_leaks: [] });
      const values = [TOKEN, ...Object.values(CALLERS)];
      expect(lastJsonLine(await run(alice, environValueProbe(values)))).toEqual({ pids: [] });
    } finally {
      await alice.close();
    }
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
