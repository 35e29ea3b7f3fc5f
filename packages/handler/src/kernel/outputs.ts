/** What one execution printed and displayed, in order, already bounded in size. */
export type MimeBundle = Record<string, unknown>;

export type Output =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "execute_result"; data: MimeBundle; executionCount: number | null }
  | { type: "display_data"; data: MimeBundle; displayId?: string }
  | { type: "error"; ename: string; evalue: string; traceback: string[] };

export type { IopubMessage } from "./transport.js";
import type { IopubMessage } from "./transport.js";

/**
 * Bounds of one execution, whatever the cell does: text (streams, text/plain, error text) is capped
 * by the caller's MCP_MAX_OUTPUT_CHARS; rich data (HTML, images, JSON...) by RICH_BYTES in all;
 * and the number of outputs by MAX_OUTPUTS. What is dropped is counted, never silently lost.
 */
export const RICH_BYTES = 30 * 1024 * 1024;
export const MAX_OUTPUTS = 100_000;

// eslint-disable-next-line no-control-regex -- ANSI escapes are control characters by definition.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * Folds iopub messages into outputs. Text is capped as it arrives, so a cell printing 50 MB costs us
 * no more memory than the cap; `droppedChars` says how much was cut.
 */
export class OutputCollector {
  readonly outputs: Output[] = [];
  droppedChars = 0;
  /** Rich values (mime type and size) dropped because RICH_BYTES was spent. */
  droppedRich = 0;
  droppedOutputs = 0;
  private textChars = 0;
  private richBytes = 0;
  private clearPending = false;

  constructor(
    private readonly maxTextChars: number,
    private readonly maxRichBytes = RICH_BYTES,
    private readonly maxOutputs = MAX_OUTPUTS,
  ) {}

  /** Returns true when the message was an output message. */
  handle(msg: IopubMessage): boolean {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case "stream":
        this.beforeOutput();
        this.addStream(c.name === "stderr" ? "stderr" : "stdout", String(c.text ?? ""));
        return true;
      case "execute_result":
        this.beforeOutput();
        this.push({
          type: "execute_result",
          data: this.capBundle(c.data as MimeBundle),
          executionCount: typeof c.execution_count === "number" ? c.execution_count : null,
        });
        return true;
      case "display_data": {
        this.beforeOutput();
        const displayId = displayIdOf(c);
        this.push({
          type: "display_data",
          data: this.capBundle(c.data as MimeBundle),
          ...(displayId ? { displayId } : {}),
        });
        return true;
      }
      case "update_display_data": {
        const displayId = displayIdOf(c);
        for (const o of this.outputs) {
          if (o.type === "display_data" && displayId && o.displayId === displayId) {
            o.data = this.capBundle(c.data as MimeBundle);
          }
        }
        return true;
      }
      case "clear_output":
        if (c.wait) this.clearPending = true;
        else this.clear();
        return true;
      case "error":
        this.beforeOutput();
        this.push({
          type: "error",
          ename: this.takeText(String(c.ename ?? "Error").slice(0, 200)),
          evalue: this.takeText(stripAnsi(String(c.evalue ?? ""))),
          traceback: ((c.traceback as unknown[] | undefined) ?? [])
            .slice(0, 1000)
            .map((line) => this.takeText(stripAnsi(String(line)))),
        });
        return true;
      default:
        return false;
    }
  }

  /** Appends a note of ours (timeout, restart) as stderr text, outside the cap. */
  note(text: string): void {
    this.outputs.push({ type: "stream", name: "stderr", text });
  }

  private beforeOutput(): void {
    if (this.clearPending) {
      this.clearPending = false;
      this.clear();
    }
  }

  private clear(): void {
    this.outputs.length = 0;
    this.textChars = 0;
    this.richBytes = 0;
  }

  private push(output: Output): void {
    if (this.outputs.length >= this.maxOutputs) {
      this.droppedOutputs += 1;
      return;
    }
    this.outputs.push(output);
  }

  /** The part of `text` the text budget still has room for; the rest is counted as dropped. */
  private takeText(text: string): string {
    const room = Math.max(0, this.maxTextChars - this.textChars);
    const kept = text.length <= room ? text : text.slice(0, room);
    this.droppedChars += text.length - kept.length;
    this.textChars += kept.length;
    return kept;
  }

  private addStream(name: "stdout" | "stderr", text: string): void {
    const kept = this.takeText(text);
    if (kept.length === 0) return;
    const last = this.outputs[this.outputs.length - 1];
    if (last?.type === "stream" && last.name === name) last.text += kept;
    else this.push({ type: "stream", name, text: kept });
  }

  /** text/plain against the text budget; every other value against the rich budget, whole or not at all. */
  private capBundle(data: unknown): MimeBundle {
    const bundle: MimeBundle = {};
    if (typeof data !== "object" || data === null) return bundle;
    for (const [mime, value] of Object.entries(data as MimeBundle)) {
      if (mime === "text/plain") {
        bundle[mime] = stripAnsi(this.takeText(String(value)));
        continue;
      }
      const size = typeof value === "string" ? value.length : jsonSize(value);
      if (this.richBytes + size > this.maxRichBytes) {
        this.droppedRich += 1;
        continue;
      }
      this.richBytes += size;
      bundle[mime] = value;
    }
    return bundle;
  }
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const transient = content.transient as { display_id?: unknown } | undefined;
  return typeof transient?.display_id === "string" ? transient.display_id : undefined;
}

/** Size of a JSON value as text; a value too deep to serialize counts as too large to keep. */
function jsonSize(value: unknown): number {
  try {
    return JSON.stringify(value ?? null).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
