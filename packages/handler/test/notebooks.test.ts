/* eslint-disable @typescript-eslint/no-explicit-any -- tool results are JSON, inspected loosely here. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunningServer } from "../src/http/node-server.js";
import { call, connectClient, startTestServer, structured, textOf } from "./support/harness.js";

// Notebook and file tools over MCP, against a real Jupyter server and kernel, without S3.
let server: RunningServer;
let client: Client;
let work: string;

beforeAll(async () => {
  server = await startTestServer();
  client = await connectClient(server.url);
  work = server.runtime.workspace(undefined).root;
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

const json = (result: Awaited<ReturnType<typeof call>>) => result.structuredContent as Record<string, any>;

describe("notebook tools", () => {
  test("the new tools are listed with their argument names", async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const name of [
      "install_package",
      "create_notebook",
      "read_notebook",
      "list_files",
      "read_cell",
      "insert_cell",
      "overwrite_cell_source",
      "delete_cell",
      "execute_cell",
    ]) {
      expect(byName[name]).toBeDefined();
    }
    expect(byName.install_package?.inputSchema.required).toEqual(["package"]);
    expect(byName.create_notebook?.inputSchema.required).toEqual(["filename"]);
    expect(byName.read_notebook?.inputSchema.required).toEqual(["filename"]);
    expect(byName.insert_cell?.inputSchema.required?.sort()).toEqual(
      ["cell_index", "cell_source", "cell_type", "notebook_path"].sort(),
    );
    expect(byName.execute_cell?.inputSchema.required?.sort()).toEqual(["cell_index", "notebook_path"]);
    expect(byName.list_files?.inputSchema.required ?? []).toEqual([]);
  });

  test("create_notebook -> execute_cell -> read_notebook round-trips outputs in nbformat form", async () => {
    const created = await call(client, "create_notebook", {
      filename: "analysis",
      cells: [
        { type: "markdown", source: "# Analysis\nSome text." },
        { type: "code", source: "import sys\nprint('hello')\nprint('err', file=sys.stderr)\n6 * 7" },
        { type: "code", source: "1 / 0" },
        {
          type: "code",
          source: "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
        },
      ],
    });
    expect(created.isError).toBeFalsy();
    expect(json(created)).toMatchObject({ path: "analysis.ipynb", cells: 4 });

    const ran = await call(client, "execute_cell", { notebook_path: "analysis.ipynb", cell_index: 1 });
    expect(ran.isError).toBe(false);
    expect(textOf(ran)).toContain("hello");
    expect(textOf(ran)).toMatch(/Out\[\d+\]: 42/);
    const failed = await call(client, "execute_cell", { notebook_path: "analysis.ipynb", cell_index: 2 });
    expect(failed.isError).toBe(true);
    expect(structured(failed).status).toBe("error");
    const plotted = await call(client, "execute_cell", { notebook_path: "analysis.ipynb", cell_index: 3 });
    expect(plotted.content.some((c) => c.type === "image")).toBe(true);

    // The file on disk is a valid nbformat 4 notebook with the outputs in nbformat's shapes.
    const onDisk = JSON.parse(readFileSync(path.join(work, "analysis.ipynb"), "utf8"));
    expect(onDisk.nbformat).toBe(4);
    const [md, code, error, plot] = onDisk.cells;
    expect(md).toMatchObject({ cell_type: "markdown", source: ["# Analysis\n", "Some text."] });
    expect(code.execution_count).toBeGreaterThan(0);
    expect(code.outputs).toEqual([
      { output_type: "stream", name: "stdout", text: ["hello\n"] },
      { output_type: "stream", name: "stderr", text: ["err\n"] },
      {
        output_type: "execute_result",
        execution_count: code.execution_count,
        data: { "text/plain": ["42"] },
        metadata: {},
      },
    ]);
    expect(error.outputs[0]).toMatchObject({ output_type: "error", ename: "ZeroDivisionError" });
    expect(error.outputs[0].traceback.length).toBeGreaterThan(0);
    expect(plot.outputs.some((o: any) => o.output_type === "display_data" && o.data["image/png"])).toBe(true);
    if (existsSync("/usr/bin/python3")) {
      // nbformat itself (Debian's python3-nbformat, a jupyter-server dependency) agrees.
      const { execFileSync } = await import("node:child_process");
      execFileSync("/usr/bin/python3", [
        "-c",
        "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))",
        path.join(work, "analysis.ipynb"),
      ]);
    }

    const read = await call(client, "read_notebook", { filename: "analysis.ipynb" });
    expect(read.isError).toBeFalsy();
    const cells = json(read).cells;
    expect(cells).toHaveLength(4);
    expect(cells[1].outputs.map((o: any) => o.output_type)).toEqual(["stream", "stream", "execute_result"]);
    expect(cells[1].outputs[2].text).toBe("42");
    expect(cells[2].outputs[0]).toMatchObject({ output_type: "error", ename: "ZeroDivisionError" });
    expect(cells[3].outputs.find((o: any) => o.output_type === "display_data").mime_types).toContain(
      "image/png",
    );
  });

  test("insert_cell, overwrite_cell_source, read_cell and delete_cell edit the notebook", async () => {
    await call(client, "create_notebook", {
      filename: "edit.ipynb",
      cells: [{ type: "code", source: "a = 1" }],
    });
    const inserted = await call(client, "insert_cell", {
      notebook_path: "edit.ipynb",
      cell_index: -1,
      cell_type: "code",
      cell_source: "b = a + 1\nb",
    });
    expect(json(inserted)).toMatchObject({ cell_index: 1, cell_count: 2 });
    await call(client, "insert_cell", {
      notebook_path: "edit.ipynb",
      cell_index: 0,
      cell_type: "markdown",
      cell_source: "# Title",
    });
    const outOfRange = await call(client, "insert_cell", {
      notebook_path: "edit.ipynb",
      cell_index: 9,
      cell_type: "code",
      cell_source: "x",
    });
    expect(outOfRange.isError).toBe(true);
    expect(textOf(outOfRange)).toMatch(/out of range/);

    const overwritten = await call(client, "overwrite_cell_source", {
      notebook_path: "edit.ipynb",
      cell_index: 2,
      cell_source: "b = a + 41\nb",
    });
    expect(json(overwritten).previous_source).toBe("b = a + 1\nb");
    await call(client, "execute_cell", { notebook_path: "edit.ipynb", cell_index: 1 });
    const ran = await call(client, "execute_cell", { notebook_path: "edit.ipynb", cell_index: 2 });
    expect(textOf(ran)).toMatch(/Out\[\d+\]: 42/);

    const cell = await call(client, "read_cell", { notebook_path: "edit.ipynb", cell_index: 2 });
    expect(json(cell).cell).toMatchObject({ cell_type: "code", source: "b = a + 41\nb" });
    expect(json(cell).cell.outputs[0]).toMatchObject({ output_type: "execute_result", text: "42" });

    const markdown = await call(client, "execute_cell", { notebook_path: "edit.ipynb", cell_index: 0 });
    expect(markdown.isError).toBe(true);
    expect(textOf(markdown)).toMatch(/markdown cell/);

    const deleted = await call(client, "delete_cell", { notebook_path: "edit.ipynb", cell_indices: [0, 1] });
    expect(json(deleted)).toMatchObject({ cell_count: 1 });
    expect(json(deleted).deleted.map((c: any) => c.source)).toEqual(["# Title", "a = 1"]);
    const rest = await call(client, "read_notebook", { filename: "edit.ipynb" });
    expect(json(rest).cells.map((c: any) => c.source)).toEqual(["b = a + 41\nb"]);
  });

  test("list_files shows what the kernel wrote in its working directory", async () => {
    await call(client, "execute_code", {
      code: "import os\nos.makedirs('data', exist_ok=True)\nopen('data/table.csv', 'w').write('a,b\\n1,2\\n')",
    });
    const top = await call(client, "list_files", {});
    const names = json(top).entries.map((e: any) => `${e.type}:${e.name}`);
    expect(names).toEqual(expect.arrayContaining(["directory:data", "file:analysis.ipynb"]));
    const sub = await call(client, "list_files", { path: "data" });
    expect(json(sub).entries).toEqual([
      expect.objectContaining({ name: "table.csv", path: "data/table.csv", type: "file", size: 8 }),
    ]);
  });

  test("paths that leave the workspace are refused with a clear error", async () => {
    symlinkSync("/etc", path.join(work, "etc-link"));
    symlinkSync("/nonexistent-target-dir/x", path.join(work, "dangling.ipynb"));
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["read_notebook", { filename: "../outside.ipynb" }, /contains ".."/],
      ["read_notebook", { filename: "/etc/passwd.ipynb" }, /is absolute/],
      ["read_notebook", { filename: "a\u0000b.ipynb" }, /NUL/],
      ["list_files", { path: "etc-link" }, /symbolic link/],
      ["list_files", { path: "../.." }, /contains ".."/],
      ["read_cell", { notebook_path: "etc-link/x.ipynb", cell_index: 0 }, /symbolic link/],
      ["create_notebook", { filename: "etc-link/evil.ipynb", cells: [] }, /symbolic link/],
      ["create_notebook", { filename: "dangling.ipynb", cells: [] }, /symbolic link/],
      ["create_notebook", { filename: "sub/../../x.ipynb", cells: [] }, /contains ".."/],
      [
        "insert_cell",
        { notebook_path: "/tmp/x.ipynb", cell_index: 0, cell_type: "code", cell_source: "" },
        /absolute/,
      ],
    ];
    for (const [tool, args, message] of cases) {
      const result = await call(client, tool, args);
      expect([tool, args, result.isError]).toEqual([tool, args, true]);
      expect([tool, textOf(result)]).toEqual([tool, expect.stringMatching(message)]);
    }
    expect(existsSync("/etc/evil.ipynb")).toBe(false);
    expect(existsSync("/nonexistent-target-dir")).toBe(false);
  });

  test("a file that is not a valid notebook is reported, not crashed on", async () => {
    writeFileSync(path.join(work, "broken.ipynb"), '{"nbformat": 4, "cells": "nope"}');
    const broken = await call(client, "read_notebook", { filename: "broken.ipynb" });
    expect(broken.isError).toBe(true);
    expect(textOf(broken)).toMatch(/not an nbformat 4 notebook/);
    writeFileSync(path.join(work, "garbage.ipynb"), "not json");
    expect(textOf(await call(client, "read_notebook", { filename: "garbage.ipynb" }))).toMatch(
      /not valid JSON/,
    );
    const missing = await call(client, "read_notebook", { filename: "missing.ipynb" });
    expect(textOf(missing)).toMatch(/does not exist/);
    const exists = await call(client, "create_notebook", { filename: "edit.ipynb", cells: [] });
    expect(textOf(exists)).toMatch(/already exists/);
    const replaced = await call(client, "create_notebook", {
      filename: "edit.ipynb",
      cells: [],
      overwrite: true,
    });
    expect(replaced.isError).toBeFalsy();
  });
});
