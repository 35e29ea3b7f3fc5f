/** What one execution printed and displayed, in order, already bounded in size. */
export type MimeBundle = Record<string, unknown>;

export type Output =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "execute_result"; data: MimeBundle; executionCount: number | null }
  | { type: "display_data"; data: MimeBundle; displayId?: string }
  | { type: "error"; ename: string; evalue: string; traceback: string[] };

export interface IopubMessage {
  header: { msg_type: string };
  content: Record<string, unknown>;
}

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
  private textChars = 0;
  private clearPending = false;

  constructor(private readonly maxTextChars: number) {}

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
        this.outputs.push({
          type: "execute_result",
          data: this.capBundle(c.data as MimeBundle),
          executionCount: typeof c.execution_count === "number" ? c.execution_count : null,
        });
        return true;
      case "display_data": {
        this.beforeOutput();
        const displayId = displayIdOf(c);
        this.outputs.push({
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
        this.outputs.push({
          type: "error",
          ename: String(c.ename ?? "Error"),
          evalue: stripAnsi(String(c.evalue ?? "")),
          traceback: ((c.traceback as string[] | undefined) ?? []).map(stripAnsi),
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
  }

  private addStream(name: "stdout" | "stderr", text: string): void {
    const room = Math.max(0, this.maxTextChars - this.textChars);
    const kept = text.length <= room ? text : text.slice(0, room);
    this.droppedChars += text.length - kept.length;
    this.textChars += kept.length;
    if (kept.length === 0) return;
    const last = this.outputs[this.outputs.length - 1];
    if (last?.type === "stream" && last.name === name) last.text += kept;
    else this.outputs.push({ type: "stream", name, text: kept });
  }

  private capBundle(data: MimeBundle | undefined): MimeBundle {
    const bundle: MimeBundle = { ...(data ?? {}) };
    const plain = bundle["text/plain"];
    if (typeof plain === "string") {
      const room = Math.max(0, this.maxTextChars - this.textChars);
      const kept = plain.length <= room ? plain : plain.slice(0, room);
      this.droppedChars += plain.length - kept.length;
      this.textChars += kept.length;
      bundle["text/plain"] = stripAnsi(kept);
    }
    return bundle;
  }
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const transient = content.transient as { display_id?: unknown } | undefined;
  return typeof transient?.display_id === "string" ? transient.display_id : undefined;
}
