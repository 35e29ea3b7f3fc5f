import { randomBytes } from "node:crypto";
import type { Output } from "../kernel/outputs.js";

/** nbformat v4 (minor 5: cells carry ids), the subset we read, write and validate. */
export type MultilineString = string | string[];

export interface NotebookOutput {
  output_type: "stream" | "execute_result" | "display_data" | "error";
  [key: string]: unknown;
}

export interface CodeCell {
  cell_type: "code";
  id?: string;
  metadata: Record<string, unknown>;
  source: MultilineString;
  execution_count: number | null;
  outputs: NotebookOutput[];
}

export interface TextCell {
  cell_type: "markdown" | "raw";
  id?: string;
  metadata: Record<string, unknown>;
  source: MultilineString;
  attachments?: Record<string, unknown>;
}

export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export class NotebookFormatError extends Error {
  override name = "NotebookFormatError";
}

export const NEW_NOTEBOOK_METADATA = {
  kernelspec: { name: "python3", display_name: "Python 3 (ipykernel)", language: "python" },
  language_info: { name: "python" },
};

export function newCellId(): string {
  return randomBytes(4).toString("hex");
}

export function newCell(type: "code" | "markdown", source: string): Cell {
  const lines = splitLines(source);
  if (type === "markdown") return { cell_type: "markdown", id: newCellId(), metadata: {}, source: lines };
  return {
    cell_type: "code",
    id: newCellId(),
    metadata: {},
    source: lines,
    execution_count: null,
    outputs: [],
  };
}

export function newNotebook(cells: { type: "code" | "markdown"; source: string }[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: structuredClone(NEW_NOTEBOOK_METADATA),
    cells: cells.map((c) => newCell(c.type, c.source)),
  };
}

/** Text as nbformat stores it on disk: a list of lines, each but the last keeping its "\n". */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n").map((line, i, all) => (i < all.length - 1 ? `${line}\n` : line));
  return lines[lines.length - 1] === "" ? lines.slice(0, -1) : lines;
}

export function joinSource(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isMultiline = (v: unknown): v is MultilineString =>
  typeof v === "string" || (Array.isArray(v) && v.every((l) => typeof l === "string"));

/** Parses and validates a notebook's JSON; the message says where it is wrong. */
export function parseNotebook(text: string, name = "the notebook"): Notebook {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
  validateNotebook(value, name);
  return value;
}

/**
 * How deep a notebook's JSON may nest. JSON.parse copes with any depth, but JSON.stringify (every
 * response and save) and structuredClone recurse and overflow the stack a few thousand levels down.
 * Jupyter's own Python json stops near 1000, so no real notebook or kernel output comes close.
 */
export const MAX_NOTEBOOK_DEPTH = 1000;

/** Throws when `value` nests deeper than MAX_NOTEBOOK_DEPTH; iterative, so depth cannot crash it. */
export function checkNotebookDepth(value: unknown, name = "the notebook"): void {
  const stack: { value: unknown; depth: number; top: string }[] = [{ value, depth: 0, top: "" }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (typeof item.value !== "object" || item.value === null) continue;
    if (item.depth >= MAX_NOTEBOOK_DEPTH) {
      throw new NotebookFormatError(
        `${name} is nested deeper than ${MAX_NOTEBOOK_DEPTH} levels${item.top ? ` (in "${item.top}")` : ""}; ` +
          "no real notebook is, so it is refused: fix or recreate the file (create_notebook).",
      );
    }
    // Only containers are pushed: the many strings of a large notebook cost one typeof each.
    const entries = Array.isArray(item.value) ? item.value.entries() : Object.entries(item.value);
    for (const [key, child] of entries) {
      if (typeof child === "object" && child !== null) {
        stack.push({ value: child, depth: item.depth + 1, top: item.top || String(key) });
      }
    }
  }
}

export function validateNotebook(value: unknown, name = "the notebook"): asserts value is Notebook {
  const fail = (where: string, what: string): never => {
    throw new NotebookFormatError(`${name} is not an nbformat 4 notebook: ${where} ${what}.`);
  };
  checkNotebookDepth(value, name);
  if (!isObject(value)) return fail("the document", "must be a JSON object");
  if (value.nbformat !== 4) fail("nbformat", `must be 4 (found ${JSON.stringify(value.nbformat)})`);
  if (
    typeof value.nbformat_minor !== "number" ||
    !Number.isInteger(value.nbformat_minor) ||
    value.nbformat_minor < 0
  )
    fail("nbformat_minor", "must be a non-negative integer");
  if (!isObject(value.metadata)) fail("metadata", "must be an object");
  if (!Array.isArray(value.cells)) return fail("cells", "must be an array");
  value.cells.forEach((cell: unknown, i: number) => {
    const at = `cells[${i}]`;
    if (!isObject(cell)) return fail(at, "must be an object");
    if (cell.cell_type !== "code" && cell.cell_type !== "markdown" && cell.cell_type !== "raw")
      fail(`${at}.cell_type`, "must be code, markdown or raw");
    if (!isMultiline(cell.source)) fail(`${at}.source`, "must be a string or a list of strings");
    if (!isObject(cell.metadata)) fail(`${at}.metadata`, "must be an object");
    if (cell.id !== undefined && (typeof cell.id !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(cell.id)))
      fail(`${at}.id`, "must be 1-64 letters, digits, - or _");
    if (cell.cell_type === "code") {
      if (cell.execution_count !== null && !Number.isInteger(cell.execution_count))
        fail(`${at}.execution_count`, "must be an integer or null");
      if (!Array.isArray(cell.outputs)) return fail(`${at}.outputs`, "must be an array");
      cell.outputs.forEach((output: unknown, j: number) =>
        validateOutput(output, `${at}.outputs[${j}]`, fail),
      );
    }
    return undefined;
  });
}

function validateOutput(output: unknown, at: string, fail: (where: string, what: string) => never): void {
  if (!isObject(output)) return fail(at, "must be an object");
  switch (output.output_type) {
    case "stream":
      if (output.name !== "stdout" && output.name !== "stderr")
        fail(`${at}.name`, "must be stdout or stderr");
      if (!isMultiline(output.text)) fail(`${at}.text`, "must be a string or a list of strings");
      return;
    case "execute_result":
    case "display_data":
      if (!isObject(output.data)) fail(`${at}.data`, "must be an object");
      if (!isObject(output.metadata)) fail(`${at}.metadata`, "must be an object");
      if (
        output.output_type === "execute_result" &&
        output.execution_count !== null &&
        !Number.isInteger(output.execution_count)
      )
        fail(`${at}.execution_count`, "must be an integer or null");
      return;
    case "error":
      if (typeof output.ename !== "string" || typeof output.evalue !== "string")
        fail(at, "needs ename and evalue strings");
      if (!Array.isArray(output.traceback) || !output.traceback.every((t) => typeof t === "string"))
        fail(`${at}.traceback`, "must be a list of strings");
      return;
    default:
      fail(`${at}.output_type`, "must be stream, execute_result, display_data or error");
  }
}

/** Our output model (from the kernel) in nbformat's output form. */
export function toNotebookOutputs(outputs: readonly Output[]): NotebookOutput[] {
  const result: NotebookOutput[] = [];
  for (const output of outputs) {
    switch (output.type) {
      case "stream": {
        // Consecutive stream chunks of one name are one output in a saved notebook.
        const last = result[result.length - 1];
        if (last?.output_type === "stream" && last.name === output.name) {
          last.text = splitLines(joinSource(last.text as MultilineString) + output.text);
        } else {
          result.push({ output_type: "stream", name: output.name, text: splitLines(output.text) });
        }
        break;
      }
      case "execute_result":
        result.push({
          output_type: "execute_result",
          execution_count: output.executionCount,
          data: bundleForDisk(output.data),
          metadata: {},
        });
        break;
      case "display_data":
        result.push({ output_type: "display_data", data: bundleForDisk(output.data), metadata: {} });
        break;
      case "error":
        result.push({
          output_type: "error",
          ename: output.ename,
          evalue: output.evalue,
          traceback: output.traceback,
        });
        break;
    }
  }
  return result;
}

/** Text mime types are stored as line lists; base64 and JSON values as they are. */
function bundleForDisk(bundle: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(bundle)) {
    const textual = mime.startsWith("text/") || mime === "image/svg+xml";
    out[mime] = textual && typeof value === "string" ? splitLines(value) : value;
  }
  return out;
}

/** A short, readable view of one cell for tool results. */
export function describeCell(cell: Cell, index: number, includeOutputs: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    index,
    id: cell.id ?? null,
    cell_type: cell.cell_type,
    source: joinSource(cell.source),
  };
  if (cell.cell_type === "code") {
    base.execution_count = cell.execution_count;
    if (includeOutputs) base.outputs = cell.outputs.map(summarizeOutput);
  }
  return base;
}

/** An output as text the model can read, with binary payloads named rather than inlined. */
export function summarizeOutput(output: NotebookOutput): Record<string, unknown> {
  switch (output.output_type) {
    case "stream":
      return { output_type: "stream", name: output.name, text: joinSource(output.text as MultilineString) };
    case "error":
      return { output_type: "error", ename: output.ename, evalue: output.evalue };
    default: {
      const data = (output.data ?? {}) as Record<string, unknown>;
      const plain = data["text/plain"];
      return {
        output_type: output.output_type,
        ...(output.output_type === "execute_result" ? { execution_count: output.execution_count } : {}),
        mime_types: Object.keys(data),
        ...(plain !== undefined ? { text: joinSource(plain as MultilineString) } : {}),
      };
    }
  }
}

export function serializeNotebook(notebook: Notebook): string {
  // Kernel outputs saved by execute_cell are not parsed first: check before JSON.stringify recurses.
  checkNotebookDepth(notebook);
  return `${JSON.stringify(notebook, null, 1)}\n`;
}
