import { randomUUID } from "node:crypto";
import { MAX_OUTPUTS, OutputCollector, RICH_BYTES, type Output } from "./outputs.js";

export type ExecutionStatus = "ok" | "error" | "timeout" | "running";

/** What a caller gets back: the outputs (all, or those since its last read), and how it ended. */
export interface ExecutionResult {
  executionId: string;
  status: ExecutionStatus;
  executionCount: number | null;
  outputs: Output[];
  droppedChars: number;
  notes: string[];
  kernelRestarted: boolean;
  durationMs: number;
}

/**
 * One queued or running cell. It outlives the call that started it when the call's budget runs out,
 * so a later call can pick up the rest of its output.
 */
export class Execution {
  readonly id = randomUUID();
  readonly collector: OutputCollector;
  status: ExecutionStatus = "running";
  executionCount: number | null = null;
  kernelRestarted = false;
  /** Set when the hard timeout fired: the cell ends as a timeout however the kernel answers. */
  timedOut = false;
  readonly notes: string[] = [];
  readonly enqueuedAt = Date.now();
  startedAt: number | undefined;
  finishedAt: number | undefined;
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private readCursor = { index: 0, offset: 0 };

  constructor(
    readonly code: string,
    readonly timeoutMs: number | undefined,
    maxTextChars: number,
  ) {
    this.collector = new OutputCollector(maxTextChars);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get done(): boolean {
    return this.status !== "running";
  }

  finish(status: Exclude<ExecutionStatus, "running">): void {
    if (this.done) return;
    this.status = status;
    this.finishedAt = Date.now();
    this.resolveFinished();
  }

  /** Waits up to `ms` for the end; resolves either way. */
  async waitFor(ms: number | undefined): Promise<void> {
    if (this.done || ms === undefined) return this.done ? undefined : this.finished;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.finished, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, ms))))]);
    clearTimeout(timer);
  }

  /**
   * The last lines of text output so far, for a progress message: at most `maxLines` lines and
   * `maxChars` characters. Reads the capped collector, so streaming never exceeds the engine's bounds.
   */
  tail(maxLines = 5, maxChars = 1_000): string {
    let text = "";
    for (let i = this.collector.outputs.length - 1; i >= 0 && text.length < maxChars; i--) {
      const output = this.collector.outputs[i]!;
      if (output.type === "stream") text = output.text + text;
    }
    const lines = text.replace(/\n+$/, "").split("\n");
    return lines.slice(-maxLines).join("\n").slice(-maxChars);
  }

  private boundNotes(): string[] {
    const notes: string[] = [];
    const { droppedRich, droppedOutputs } = this.collector;
    if (droppedRich > 0) {
      notes.push(
        `${droppedRich} rich output value(s) (HTML, JSON, images...) were dropped: one execution keeps at most ${RICH_BYTES / 1024 / 1024} MB of them.`,
      );
    }
    if (droppedOutputs > 0) {
      notes.push(`${droppedOutputs} output(s) were dropped: one execution keeps at most ${MAX_OUTPUTS}.`);
    }
    return notes;
  }

  /** Everything so far, or only what was not yet handed out when `sinceLastRead` is set. */
  snapshot(sinceLastRead = false): ExecutionResult {
    const all = this.collector.outputs;
    let outputs: Output[] = all.map((o) => ({ ...o }));
    if (sinceLastRead) {
      const { index, offset } = this.readCursor;
      outputs = all.slice(index).map((o) => ({ ...o }));
      const first = outputs[0];
      if (first?.type === "stream" && offset > 0) outputs[0] = { ...first, text: first.text.slice(offset) };
    }
    // Only a read of the unread part moves the cursor: a whole copy (a task's result) leaves it.
    const last = all[all.length - 1];
    if (sinceLastRead) {
      this.readCursor = {
        index: Math.max(0, all.length - 1),
        offset: last?.type === "stream" ? last.text.length : 0,
      };
      if (last && last.type !== "stream") this.readCursor = { index: all.length, offset: 0 };
    }
    return {
      executionId: this.id,
      status: this.status,
      executionCount: this.executionCount,
      outputs,
      droppedChars: this.collector.droppedChars,
      notes: [...this.notes, ...this.boundNotes()],
      kernelRestarted: this.kernelRestarted,
      durationMs: (this.finishedAt ?? Date.now()) - (this.startedAt ?? this.enqueuedAt),
    };
  }
}
