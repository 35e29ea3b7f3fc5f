import type { Client } from "@modelcontextprotocol/client";
import type { RunningServer } from "../src/http/node-server.js";
import { startTestServer } from "./support/harness.js";
import { connectModern, MODERN, rawCall, settle, taskCancel, taskGet, TASKS } from "./support/modern.js";

// The 2026-07-28 revision through the official v2 client over real HTTP: server/discover, every
// tool, caching hints, header validation, progress over SSE and the Tasks extension.

type Content = { type: string; text?: string }[];
const text = (result: { content: unknown }) =>
  (result.content as Content)
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");

let server: RunningServer;
let client: Client;

beforeAll(async () => {
  server = await startTestServer({ MCP_TASK_AFTER_SECONDS: "2", MCP_PROGRESS_INTERVAL_SECONDS: "1" });
  client = await connectModern(server.url, { tasks: true });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe("2026-07-28 with the v2 client", () => {
  test("connects without initialize; server/discover names the revision, the tools and the Tasks extension", async () => {
    expect(client.getProtocolEra()).toBe("modern");
    const discovered = await client.discover();
    expect(discovered.supportedVersions).toContain(MODERN);
    expect(discovered.capabilities.tools).toBeDefined();
    expect((discovered.capabilities as { extensions?: Record<string, unknown> }).extensions?.[TASKS]).toEqual(
      {},
    );
  });

  test("tools/list carries a caching hint", async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: modernHeaders("tools/list"),
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: { _meta: envelope() } }),
    });
    const body = (await res.json()) as {
      id: number;
      result: { tools: unknown[]; ttlMs: number; cacheScope: string };
    };
    expect(body.id).toBe(7);
    expect(body.result.tools.length).toBe(16);
    expect(body.result.ttlMs).toBe(300_000);
    expect(body.result.cacheScope).toBe("private");
  });

  test("a Mcp-Name header that disagrees with the body is refused with -32020 and the request's id", async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { ...modernHeaders("tools/call"), "mcp-name": "get_kernel_status" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: "abc",
        method: "tools/call",
        params: { name: "execute_code", arguments: { code: "1" }, _meta: envelope() },
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { id: string; error: { code: number } };
    expect(body).toMatchObject({ id: "abc", error: { code: -32020 } });
  });

  test("every tool answers", async () => {
    const run = (name: string, args: Record<string, unknown> = {}) =>
      client.callTool({ name, arguments: args }, { timeout: 120_000 });
    expect(text(await run("execute_code", { code: "x = 40 + 2\nprint(x)" }))).toContain("42");
    expect(text(await run("get_variables"))).toContain("x");
    expect(text(await run("inspect_variable", { name: "x" }))).toContain("42");
    expect(text(await run("get_kernel_status"))).toMatch(/"state": "idle"/);
    expect(text(await run("interrupt_kernel"))).toMatch(/nothing|not running|idle/i);
    const missing = await run("get_execution_output", { execution_id: "nope" });
    expect(missing.isError).toBe(true);
    const created = await run("create_notebook", {
      filename: "m.ipynb",
      cells: [{ type: "code", source: "y = 2\ny * 21" }],
    });
    expect(created.isError).toBeFalsy();
    expect(text(await run("list_files"))).toContain("m.ipynb");
    expect(text(await run("read_notebook", { filename: "m.ipynb" }))).toContain("y = 2");
    await run("insert_cell", {
      notebook_path: "m.ipynb",
      cell_index: 1,
      cell_type: "markdown",
      cell_source: "# note",
    });
    expect(text(await run("read_cell", { notebook_path: "m.ipynb", cell_index: 1 }))).toContain("# note");
    await run("overwrite_cell_source", { notebook_path: "m.ipynb", cell_index: 1, cell_source: "# changed" });
    expect(text(await run("read_cell", { notebook_path: "m.ipynb", cell_index: 1 }))).toContain("# changed");
    await run("delete_cell", { notebook_path: "m.ipynb", cell_index: 1 });
    expect(text(await run("execute_cell", { notebook_path: "m.ipynb", cell_index: 0 }))).toContain("42");
    const install = await run("install_package", { package: "; rm -rf /" });
    expect([install.isError, text(install)]).toEqual([true, expect.stringMatching(/not a package spec/)]);
    expect(text(await run("restart_kernel"))).toMatch(/restart/i);
    expect(text(await run("execute_code", { code: "'x' in globals()" }))).toContain("False");
  }, 180_000);

  test("progress notifications carry the latest output lines while a cell runs", async () => {
    const seen: { progress: number; message?: string }[] = [];
    // A client without the Tasks extension: the call stays one exchange however long the cell runs.
    const plain = await connectModern(server.url);
    const result = await plain.callTool(
      {
        name: "execute_code",
        arguments: {
          code: "import time\nfor i in range(4):\n    print('step', i, flush=True)\n    time.sleep(0.8)",
        },
      },
      { timeout: 60_000, onprogress: (p) => seen.push(p) },
    );
    await plain.close();
    expect(text(result)).toContain("step 3");
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.some((p) => /step \d/.test(p.message ?? ""))).toBe(true);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.progress).toBeGreaterThanOrEqual(seen[i - 1]!.progress);
  }, 60_000);
});

describe("the Tasks extension", () => {
  test("a cell that outlives the 2 s task threshold becomes a task that completes with its result inlined", async () => {
    const created = await rawCall(server.url, "execute_code", {
      code: "import time\ntime.sleep(3)\nprint('finished late')\nz = 7",
    });
    expect(created).toMatchObject({ resultType: "task", status: "working" });
    expect(Number.isInteger(created.ttlMs)).toBe(true);
    expect(Number.isInteger(created.pollIntervalMs)).toBe(true);
    expect("result" in created).toBe(false);
    // Durable before it was returned: tasks/get finds it at once.
    expect((await taskGet(client, created.taskId)).status).toBe("working");
    const done = await settle(client, created.taskId);
    expect(done.status).toBe("completed");
    expect(text(done.result!)).toContain("finished late");
    expect(text(await client.callTool({ name: "execute_code", arguments: { code: "z" } }))).toContain("7");
  }, 60_000);

  test("tasks/cancel interrupts the cell: the task ends cancelled and the kernel keeps its variables", async () => {
    await client.callTool({ name: "execute_code", arguments: { code: "kept = 'yes'" } });
    const created = await rawCall(server.url, "execute_code", { code: "import time\ntime.sleep(60)" });
    expect(created.resultType).toBe("task");
    const ack = await taskCancel(client, created.taskId);
    // An empty ack (the client hides the wire's resultType:"complete"): no task envelope.
    expect(Object.keys(ack).filter((k) => k !== "_meta")).toEqual([]);
    expect((await settle(client, created.taskId, 10_000)).status).toBe("cancelled");
    // Idempotent on a terminal task.
    const again = await taskCancel(client, created.taskId);
    expect(Object.keys(again).filter((k) => k !== "_meta")).toEqual([]);
    const after = await client.callTool(
      { name: "execute_code", arguments: { code: "kept" } },
      { timeout: 60_000 },
    );
    expect(text(after)).toContain("yes");
  }, 90_000);

  test("an unknown task is -32602; a client without the extension gets -32021 and no task", async () => {
    await expect(taskGet(client, "no-such-task")).rejects.toMatchObject({ code: -32602 });
    const plain = await connectModern(server.url);
    try {
      await expect(taskGet(plain, "no-such-task")).rejects.toMatchObject({ code: -32021 });
      const result = await rawCall(
        server.url,
        "execute_code",
        { code: "import time\ntime.sleep(2.5)\nprint('sync')" },
        {},
      );
      expect(result.resultType).not.toBe("task");
      expect(text(result as unknown as { content: unknown })).toContain("sync");
    } finally {
      await plain.close();
    }
  }, 60_000);

  test("tasks/result and tasks/list are gone in this version of the extension (-32601)", async () => {
    for (const method of ["tasks/result", "tasks/list"]) {
      const res = await fetch(`${server.url}/mcp`, {
        method: "POST",
        headers: { ...modernHeaders(method), ...(method === "tasks/result" ? { "mcp-name": "x" } : {}) },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method,
          params: { taskId: "x", _meta: envelope(true) },
        }),
      });
      const body = (await res.json()) as { error?: { code: number } };
      expect([method, body.error?.code]).toEqual([method, -32601]);
    }
  });
});

function envelope(tasks = false): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": { name: "curl", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": tasks ? { extensions: { [TASKS]: {} } } : {},
  };
}

function modernHeaders(method: string): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": MODERN,
    "mcp-method": method,
  };
}
