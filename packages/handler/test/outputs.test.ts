import { OutputCollector, stripAnsi, type IopubMessage } from "../src/kernel/outputs.js";
import { executionToToolResult } from "../src/mcp/content.js";
import type { ExecutionResult } from "../src/kernel/execution.js";

const msg = (msg_type: string, content: Record<string, unknown>): IopubMessage => ({
  header: { msg_type },
  content,
});
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]).toString("base64");

describe("OutputCollector", () => {
  test("coalesces consecutive stream text of the same stream, keeps order across streams", () => {
    const c = new OutputCollector(1000);
    c.handle(msg("stream", { name: "stdout", text: "a" }));
    c.handle(msg("stream", { name: "stdout", text: "b" }));
    c.handle(msg("stream", { name: "stderr", text: "warn" }));
    c.handle(msg("stream", { name: "stdout", text: "c" }));
    expect(c.outputs).toEqual([
      { type: "stream", name: "stdout", text: "ab" },
      { type: "stream", name: "stderr", text: "warn" },
      { type: "stream", name: "stdout", text: "c" },
    ]);
  });

  test("caps text as it arrives and counts what was cut", () => {
    const c = new OutputCollector(10);
    c.handle(msg("stream", { name: "stdout", text: "0123456789abcdef" }));
    c.handle(msg("execute_result", { data: { "text/plain": "more" }, execution_count: 3 }));
    expect(c.outputs[0]).toEqual({ type: "stream", name: "stdout", text: "0123456789" });
    expect(c.droppedChars).toBe(10);
  });

  test("update_display_data replaces the display with the same id", () => {
    const c = new OutputCollector(1000);
    c.handle(msg("display_data", { data: { "text/plain": "10%" }, transient: { display_id: "bar" } }));
    c.handle(msg("display_data", { data: { "text/plain": "other" } }));
    c.handle(
      msg("update_display_data", { data: { "text/plain": "100%" }, transient: { display_id: "bar" } }),
    );
    expect(c.outputs.map((o) => (o.type === "display_data" ? o.data["text/plain"] : ""))).toEqual([
      "100%",
      "other",
    ]);
  });

  test("clear_output clears now, or at the next output when wait is set", () => {
    const c = new OutputCollector(1000);
    c.handle(msg("stream", { name: "stdout", text: "old" }));
    c.handle(msg("clear_output", { wait: true }));
    expect(c.outputs).toHaveLength(1);
    c.handle(msg("stream", { name: "stdout", text: "new" }));
    expect(c.outputs).toEqual([{ type: "stream", name: "stdout", text: "new" }]);
    c.handle(msg("clear_output", { wait: false }));
    expect(c.outputs).toEqual([]);
  });

  test("errors lose their ANSI colours", () => {
    const c = new OutputCollector(1000);
    c.handle(
      msg("error", {
        ename: "ValueError",
        evalue: "\u001b[0;31mbad\u001b[0m",
        traceback: ["\u001b[1;31mValueError\u001b[0m: bad"],
      }),
    );
    expect(c.outputs[0]).toEqual({
      type: "error",
      ename: "ValueError",
      evalue: "bad",
      traceback: ["ValueError: bad"],
    });
    expect(stripAnsi("\u001b[38;5;12mx\u001b[39m")).toBe("x");
  });

  test("status and other messages are not outputs", () => {
    const c = new OutputCollector(1000);
    expect(c.handle(msg("status", { execution_state: "busy" }))).toBe(false);
    expect(c.handle(msg("execute_input", { code: "1" }))).toBe(false);
    expect(c.outputs).toEqual([]);
  });
});

describe("executionToToolResult", () => {
  const limits = { maxOutputChars: 100, maxImages: 2, maxImageBytes: 1000, maxResponseBytes: 10_000 };
  const base: ExecutionResult = {
    executionId: "e1",
    status: "ok",
    executionCount: 1,
    outputs: [],
    droppedChars: 0,
    notes: [],
    kernelRestarted: false,
    durationMs: 5,
  };

  test("images beyond the count or size limits are dropped with a note", () => {
    const big = Buffer.alloc(2000, 1).toString("base64");
    const result = executionToToolResult(
      {
        ...base,
        outputs: [
          { type: "display_data", data: { "image/png": PNG, "text/plain": "<Figure 1>" } },
          { type: "display_data", data: { "image/png": big, "text/plain": "<Figure 2>" } },
          { type: "display_data", data: { "image/png": PNG, "text/plain": "<Figure 3>" } },
          { type: "display_data", data: { "image/png": PNG, "text/plain": "<Figure 4>" } },
        ],
      },
      limits,
    );
    expect(result.content.filter((c) => c.type === "image")).toHaveLength(2);
    const text = (result.content[0] as { text: string }).text;
    expect(text).toContain("2 image(s) not returned");
    expect(text).toContain("<Figure 2>");
  });

  test("a truncation note says how much was cut and which setting governs it", () => {
    const result = executionToToolResult(
      { ...base, outputs: [{ type: "stream", name: "stdout", text: "x".repeat(100) }], droppedChars: 5000 },
      limits,
    );
    expect((result.content[0] as { text: string }).text).toContain(
      "Output truncated: 5000 characters cut after the first 100 (MCP_MAX_OUTPUT_CHARS)",
    );
    expect(result.structuredContent).toMatchObject({ truncated_chars: 5000, status: "ok" });
  });

  test("errors and timeouts are tool errors; a running cell is not", () => {
    expect(executionToToolResult({ ...base, status: "error" }, limits).isError).toBe(true);
    expect(executionToToolResult({ ...base, status: "timeout" }, limits).isError).toBe(true);
    expect(executionToToolResult({ ...base, status: "running" }, limits).isError).toBe(false);
  });
});
