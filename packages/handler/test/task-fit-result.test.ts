import fc from "fast-check";
import { DYNAMODB_RESULT_BYTES, fitResult, jsonBytes, MIN_RESULT_BYTES } from "../src/tasks/fit-result.js";

// fitResult keeps a CallToolResult under a byte limit, says so, and keeps what a client needs.
type Item = {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  resource?: Record<string, unknown>;
};
type Reduced = {
  content: Item[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: unknown;
};

describe("fitResult", () => {
  test("a result that fits is returned as the same object", () => {
    const result = { content: [{ type: "text", text: "hi" }], structuredContent: { a: 1 } };
    expect(fitResult(result, DYNAMODB_RESULT_BYTES, "e1")).toBe(result);
  });

  test("blobs become placeholders, text is cut, links and flags survive, and the note leads", () => {
    const result = {
      content: [
        { type: "text", text: "a".repeat(50_000) },
        { type: "audio", data: "B".repeat(30_000), mimeType: "audio/wav" },
        {
          type: "resource",
          resource: { uri: "workspace://plot.png", blob: "C".repeat(30_000), mimeType: "image/png" },
        },
        { type: "resource", resource: { uri: "workspace://log.txt", text: "d".repeat(50_000) } },
        { type: "resource_link", uri: "workspace://big.csv", name: "big.csv" },
      ],
      isError: true,
      _meta: { tag: "kept" },
    };
    const out = fitResult(result, 20_000, "exec-9") as Reduced;
    expect(jsonBytes(out)).toBeLessThanOrEqual(20_000);
    expect(out.isError).toBe(true);
    expect(out._meta).toEqual({ tag: "kept" });
    expect(out.content[0]?.text).toMatch(
      /^\[The full result \(\d+ bytes\) was too large for the task record \(limit 20000 bytes\)/,
    );
    expect(out.content[0]?.text).toContain('get_execution_output with execution_id "exec-9"');
    expect(out.content[1]?.text).toMatch(/^a+… \[truncated: \d+ of 50000 characters kept\]$/);
    expect(out.content[2]?.text).toBe(
      "[audio/wav audio (30000 bytes of base64) dropped: too large for the task record]",
    );
    expect(out.content[3]?.text).toBe(
      "[embedded resource workspace://plot.png dropped: too large for the task record]",
    );
    expect(out.content[4]?.resource?.text).toMatch(/^d+… \[truncated/);
    expect(out.content[5]).toEqual(result.content[4]);
    // The two long texts share the budget evenly.
    const kept = (item: Item | undefined) => String(item?.text ?? item?.resource?.text ?? "").length;
    expect(Math.abs(kept(out.content[1]) - kept(out.content[4]))).toBeLessThan(100);
  });

  test("structuredContent keeps its shape and short strings, and is dropped only when its skeleton is too big", () => {
    const outputs = [{ type: "stream", name: "stdout", text: "x".repeat(100_000) }];
    const small = fitResult({ content: [], structuredContent: { status: "ok", outputs } }, 10_000) as Reduced;
    expect(small.structuredContent).toMatchObject({
      status: "ok",
      outputs: [{ type: "stream", name: "stdout" }],
    });
    expect(jsonBytes(small)).toBeLessThanOrEqual(10_000);

    const many = Array.from({ length: 100_000 }, (_, i) => ({
      type: "stream",
      name: "stdout",
      text: `${i}\n`,
    }));
    const huge = fitResult(
      { content: [{ type: "text", text: "head" }], structuredContent: { outputs: many } },
      10_000,
    ) as Reduced;
    expect(huge.structuredContent).toBeUndefined();
    expect(huge.content[1]).toEqual({ type: "text", text: "head" });
    expect(huge.content[0]?.text).toContain("The full output stays on the server that ran the call.");
  });

  test("cuts never split a character, and escaping-heavy text still fits", () => {
    const emoji = fitResult({ content: [{ type: "text", text: "😀é".repeat(40_000) }] }, 5_000) as Reduced;
    expect(emoji.content[1]?.text).not.toContain("\uFFFD");
    expect(emoji.content[1]?.text).toMatch(/^(😀é)+(😀)?… \[truncated/);
    const escapes = fitResult({ content: [{ type: "text", text: '\n"\u0001'.repeat(50_000) }] }, 5_000);
    expect(jsonBytes(escapes)).toBeLessThanOrEqual(5_000);
  });

  test("anything, at any limit from the minimum up, comes out within the limit", () => {
    const item = fc.oneof(
      fc.record({ type: fc.constant("text"), text: fc.string({ maxLength: 20_000, unit: "binary" }) }),
      fc.record({
        type: fc.constant("image"),
        data: fc.base64String({ maxLength: 20_000 }),
        mimeType: fc.constant("image/png"),
      }),
      fc.record({ type: fc.constant("mystery"), payload: fc.string({ maxLength: 10_000 }) }),
    );
    const result = fc.record(
      {
        content: fc.array(item, { maxLength: 30 }),
        structuredContent: fc.jsonValue(),
        isError: fc.boolean(),
      },
      { requiredKeys: ["content"] },
    );
    fc.assert(
      fc.property(result, fc.integer({ min: MIN_RESULT_BYTES, max: 40_000 }), (value, limit) => {
        expect(jsonBytes(fitResult(value, limit, "exec-1"))).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 150 },
    );
    expect(jsonBytes(fitResult("x".repeat(10_000), MIN_RESULT_BYTES))).toBeLessThanOrEqual(MIN_RESULT_BYTES);
    expect(() => fitResult({}, 100)).toThrow(RangeError);
  });
});
