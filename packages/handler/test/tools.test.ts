import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { RunningServer } from "../src/http/node-server.js";
import { call, connectClient, startTestServer, structured, textOf } from "./support/harness.js";

// The official MCP SDK client over real HTTP, against a real Jupyter server and kernel.
let server: RunningServer;
let client: Client;

beforeAll(async () => {
  process.env.AWS_SECRET_ACCESS_KEY = "test-secret-access-key";
  process.env.AWS_SESSION_TOKEN = "test-session-token";
  process.env.AWS_LAMBDA_RUNTIME_API = "127.0.0.1:9001";
  server = await startTestServer();
  client = await connectClient(server.url);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  delete process.env.AWS_SECRET_ACCESS_KEY;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_LAMBDA_RUNTIME_API;
});

describe("tools over MCP", () => {
  test("lists every tool with annotations, and execute_code with an output schema", async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        "execute_code",
        "get_execution_output",
        "get_kernel_status",
        "get_variables",
        "inspect_variable",
        "interrupt_kernel",
        "restart_kernel",
      ]),
    );
    expect(byName.execute_code?.inputSchema.required).toEqual(["code"]);
    expect(byName.execute_code?.outputSchema?.properties).toHaveProperty("status");
    expect(byName.get_variables?.annotations?.readOnlyHint).toBe(true);
    expect(byName.restart_kernel?.annotations?.destructiveHint).toBe(true);
    expect(client.getInstructions()).toMatch(/persistent Python/);
  });

  test("execute_code returns printed text and the last value", async () => {
    const result = await call(client, "execute_code", { code: 'greeting = "hello"\nprint(greeting)\n6 * 7' });
    expect(result.isError).toBe(false);
    expect(textOf(result)).toContain("hello\n");
    expect(textOf(result)).toMatch(/Out\[\d+\]: 42/);
    const s = structured(result);
    expect(s.status).toBe("ok");
    expect(s.execution_count).toBeGreaterThan(0);
    expect(s.outputs.map((o) => o.type)).toEqual(["stream", "execute_result"]);
  });

  test("a matplotlib figure comes back as a PNG image", async () => {
    const result = await call(client, "execute_code", {
      code: "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares')\nplt.show()",
    });
    const images = result.content.filter((c) => c.type === "image");
    expect(images).toHaveLength(1);
    const image = images[0] as { data: string; mimeType: string };
    expect(image.mimeType).toBe("image/png");
    expect(Buffer.from(image.data, "base64").subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(structured(result).outputs.some((o) => o.image_index === 0)).toBe(true);
  });

  test("an error keeps the output printed before it and a traceback without ANSI codes", async () => {
    const result = await call(client, "execute_code", { code: "print('before the error')\n{}['missing']" });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text.indexOf("before the error")).toBeLessThan(text.indexOf("KeyError"));
    expect(text).toContain("Traceback");
    expect(text).not.toContain("\u001b[");
    const s = structured(result);
    expect(s.status).toBe("error");
    expect(s.outputs.find((o) => o.type === "error")?.ename).toBe("KeyError");
  });

  test("get_variables and inspect_variable show state without changing it", async () => {
    await call(client, "execute_code", {
      code: "import numpy as np\narr = np.arange(12).reshape(3, 4)\nname = 'x'",
    });
    const vars = await call(client, "get_variables");
    const list = (vars.structuredContent as { variables: { name: string; type: string; shape?: number[] }[] })
      .variables;
    expect(list.find((v) => v.name === "arr")).toMatchObject({ type: "ndarray", shape: [3, 4] });
    expect(list.find((v) => v.name === "np")).toBeUndefined();
    const inspected = await call(client, "inspect_variable", { name: "arr" });
    expect(inspected.structuredContent).toMatchObject({
      variable: { name: "arr", dtype: "int64", shape: [3, 4] },
    });
    const count = structured(await call(client, "execute_code", { code: "1" })).execution_count;
    const again = structured(await call(client, "execute_code", { code: "2" })).execution_count;
    expect(again).toBe((count ?? 0) + 1);
  });

  test("inspect_variable treats any string as a name, never as code", async () => {
    const hostile = [
      "__import__('os').system('touch /tmp/jmcp-injected')",
      'x"); open("/tmp/jmcp-injected", "w"); ("',
      "arr\nimport os; os.system('touch /tmp/jmcp-injected')",
      "\\u0022)+print(1)#",
    ];
    for (const name of hostile) {
      const result = await call(client, "inspect_variable", { name });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("No variable named");
    }
    const check = await call(client, "execute_code", {
      code: "import os\nprint(os.path.exists('/tmp/jmcp-injected'))",
    });
    expect(textOf(check)).toContain("False");
  });

  test("get_kernel_status reports the caller's own kernel", async () => {
    const result = await call(client, "get_kernel_status");
    expect(result.structuredContent).toMatchObject({
      caller: "default",
      state: "idle",
      kernelName: "python3",
      transport: "direct",
      queued: 0,
      running: null,
    });
  });

  test("eight concurrent execute_code calls each get exactly their own output", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectClient(server.url)));
    try {
      const results = await Promise.all(
        clients.map((c, i) =>
          call(c, "execute_code", {
            code: `import time\nfor j in range(3):\n    print("call-${i}-line", j)\n    time.sleep(0.01)\nv${i} = ${i}\nv${i} * 100`,
          }),
        ),
      );
      results.forEach((result, i) => {
        const text = textOf(result);
        expect(text).toBe(
          `call-${i}-line 0\ncall-${i}-line 1\ncall-${i}-line 2\nOut[${structured(result).execution_count}]: ${i * 100}\n`,
        );
      });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test("a timed-out cell is interrupted, returns partial output, and variables survive", async () => {
    await call(client, "execute_code", { code: "survivor = 'still here'" });
    const started = Date.now();
    const result = await call(client, "execute_code", {
      code: "print('started', flush=True)\nwhile True: pass",
      timeout: 2,
    });
    const elapsed = Date.now() - started;
    // The requirement is "about 3 s", not the 30 s default: a loose bound keeps a loaded machine green.
    expect(elapsed).toBeLessThan(8000);
    const s = structured(result);
    expect(s.status).toBe("timeout");
    expect(s.kernel_restarted).toBe(false);
    expect(textOf(result)).toContain("started");
    expect(textOf(result)).toMatch(/timed out after 2 s.*variables are kept/i);
    const next = await call(client, "execute_code", { code: "survivor" });
    expect(textOf(next)).toContain("still here");
  });

  test("a cell that ignores the interrupt is stopped by a restart, and the call says state was lost", async () => {
    const result = await call(client, "execute_code", {
      code: "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('stubborn', flush=True)\nwhile True: pass",
      timeout: 1,
    });
    const s = structured(result);
    expect(s.status).toBe("timeout");
    expect(s.kernel_restarted).toBe(true);
    expect(textOf(result)).toContain("stubborn");
    expect(textOf(result)).toMatch(/interrupt did not stop the cell.*restarted.*lost/);
    const next = await call(client, "execute_code", { code: "'fresh'" });
    expect(textOf(next)).toContain("fresh");
  });

  test("interrupt_kernel stops a running cell and keeps variables", async () => {
    await call(client, "execute_code", { code: "kept_after_interrupt = 7" });
    const other = await connectClient(server.url);
    try {
      const running = call(client, "execute_code", { code: "import time\ntime.sleep(30)", timeout: 60 });
      let interrupted = false;
      for (let i = 0; i < 50 && !interrupted; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const r = await call(other, "interrupt_kernel");
        interrupted = (r.structuredContent as { interrupted: boolean }).interrupted;
      }
      expect(interrupted).toBe(true);
      const result = await running;
      expect(structured(result).status).toBe("error");
      expect(textOf(result)).toContain("KeyboardInterrupt");
      expect(textOf(await call(client, "execute_code", { code: "kept_after_interrupt" }))).toContain("7");
    } finally {
      await other.close();
    }
  });

  test("get_execution_output for an unknown id is a clear error", async () => {
    const result = await call(client, "get_execution_output", { execution_id: "no-such-execution" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/No unread execution no-such-execution on your kernel/);
  });

  test("interrupt_kernel with nothing running says so", async () => {
    const result = await call(client, "interrupt_kernel");
    expect(result.structuredContent).toMatchObject({ interrupted: false });
  });

  test("a kernel that exits is restarted and the call says state was lost", async () => {
    await call(client, "execute_code", { code: "doomed = 1" });
    const crash = await call(client, "execute_code", { code: "import os; os._exit(1)" });
    expect(crash.isError).toBe(true);
    expect(structured(crash).kernel_restarted).toBe(true);
    expect(textOf(crash)).toMatch(/kernel died.*variables and imports are lost/i);
    const next = await call(client, "execute_code", { code: "print('alive')\n'doomed' in globals()" });
    expect(textOf(next)).toContain("alive");
    expect(textOf(next)).toContain("False");
  });

  test("50 MB of printed text gives a bounded response with a truncation note", async () => {
    const result = await call(client, "execute_code", {
      code: "import sys\nfor _ in range(50):\n    sys.stdout.write('x' * 1_000_000)\nprint('done')",
      timeout: 120,
    });
    const s = structured(result);
    expect(s.truncated_chars).toBeGreaterThan(49_000_000);
    expect(JSON.stringify(result).length).toBeLessThan(500_000);
    expect(textOf(result)).toMatch(/Output truncated: \d+ characters cut/);
    const after = await call(client, "execute_code", { code: "'still serving'" });
    expect(textOf(after)).toContain("still serving");
  });

  test("kernel code cannot see AWS credentials or the Lambda runtime API", async () => {
    const result = await call(client, "execute_code", {
      code: [
        "import os",
        "leaks = [k for k in ('AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API') if k in os.environ]",
        "print('leaks:', leaks, sorted(k for k in os.environ if k.startswith('AWS')))",
        "print('home:', os.environ['HOME'])",
      ].join("\n"),
    });
    expect(textOf(result)).toContain("leaks: [] []");
    expect(textOf(result)).toMatch(/home: .*jmcp-state-.*\/home/);
  });

  test("wrong argument types and unknown tools are clear errors", async () => {
    // JSON-RPC -32602 Invalid params, naming the field (more cases in hostile-protocol.test.ts).
    await expect(call(client, "execute_code", { code: 42 })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringMatching(/"code" must be a string, not a number/),
    });
    await expect(call(client, "no_such_tool")).rejects.toMatchObject({
      code: -32602,
      message: expect.stringMatching(/Unknown tool "no_such_tool"; call tools\/list/),
    });
  });

  test("restart_kernel clears the variables", async () => {
    await call(client, "execute_code", { code: "before_restart = 1" });
    const restarted = await call(client, "restart_kernel");
    expect(restarted.structuredContent).toMatchObject({ restarted: true });
    const check = await call(client, "execute_code", { code: "'before_restart' in globals()" });
    expect(textOf(check)).toContain("False");
    const plot = await call(client, "execute_code", {
      code: "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
    });
    expect(plot.content.some((c) => c.type === "image")).toBe(true);
  });
});
