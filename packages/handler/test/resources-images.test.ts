import type { BlobResourceContents, ResourceLink } from "@modelcontextprotocol/server";
import { randomBytes } from "node:crypto";
import { readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import type { ExecutionResult } from "../src/kernel/execution.js";
import { executionToToolResult } from "../src/mcp/content.js";
import { linkDroppedImages, OUTPUTS_DIR } from "../src/workspace/tool-support.js";
import { closeAll, connect, contextFor, dir, LIMITS, put, workspaceAt } from "./support/resources.js";

afterEach(closeAll);

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
