/**
 * The kernel process's own stdout/stderr (ipykernel's log, tracebacks of its internals, C-level
 * writes before the kernel captures fds) turned into log entries: one per line, each line capped,
 * the rate capped, so a chatty or broken kernel can neither break our one-JSON-object-per-line log
 * nor flood it. Cell output never comes this way: it travels on iopub.
 */

export type LogFn = (message: string, fields?: Record<string, unknown>) => void;

export interface OutputLogLimits {
  /** Characters kept of one line; the rest is counted, not logged. */
  maxLineChars: number;
  /** Lines logged per window; beyond that they are counted and reported once. */
  maxLinesPerWindow: number;
  windowMs: number;
  /** Lines remembered for a launch error message. */
  recentLines: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLogLimits = {
  maxLineChars: 2000,
  maxLinesPerWindow: 200,
  windowMs: 10_000,
  recentLines: 20,
};

export class KernelOutputLog {
  private windowStart = 0;
  private linesInWindow = 0;
  private droppedLines = 0;
  private readonly recent: string[] = [];

  constructor(
    private readonly log: LogFn,
    private readonly fields: Record<string, unknown>,
    private readonly limits: OutputLogLimits = DEFAULT_OUTPUT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A line splitter for one stream; feed it decoded text chunks. */
  stream(name: "stdout" | "stderr"): LineSplitter {
    return new LineSplitter(this.limits.maxLineChars, (line, cutChars) => this.line(name, line, cutChars));
  }

  /** The last lines seen (for "the kernel exited at start: ..."), oldest first. */
  recentLines(): string[] {
    return [...this.recent];
  }

  /** Reports lines dropped by the rate cap that were not reported yet. */
  flush(): void {
    if (this.droppedLines > 0) {
      this.log("kernel output lines dropped (rate limit)", {
        ...this.fields,
        dropped_lines: this.droppedLines,
      });
      this.droppedLines = 0;
    }
  }

  private line(stream: string, line: string, cutChars: number): void {
    this.recent.push(line.length > 300 ? line.slice(0, 300) : line);
    if (this.recent.length > this.limits.recentLines) this.recent.shift();
    const now = this.now();
    if (now - this.windowStart >= this.limits.windowMs) {
      this.flush();
      this.windowStart = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow >= this.limits.maxLinesPerWindow) {
      this.droppedLines++;
      return;
    }
    this.linesInWindow++;
    const fields: Record<string, unknown> = { ...this.fields, stream, line };
    if (cutChars > 0) fields.truncated_chars = cutChars;
    this.log("kernel output", fields);
  }
}

/** Splits text into lines without holding more than `maxLineChars` of any one line. */
export class LineSplitter {
  private partial = "";
  /** Characters of the current line already past the cap (0 while under it). */
  private overflow = 0;

  constructor(
    private readonly maxLineChars: number,
    private readonly emit: (line: string, cutChars: number) => void,
  ) {}

  write(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", start);
      const piece = nl < 0 ? chunk.slice(start) : chunk.slice(start, nl);
      this.append(piece);
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
    }
  }

  /** Emits a last line that had no newline. */
  end(): void {
    if (this.partial.length > 0 || this.overflow > 0) this.endLine();
  }

  private append(piece: string): void {
    const room = this.maxLineChars - this.partial.length;
    if (piece.length <= room) {
      this.partial += piece;
    } else {
      this.partial += piece.slice(0, Math.max(0, room));
      this.overflow += piece.length - Math.max(0, room);
    }
  }

  private endLine(): void {
    const line = this.partial.endsWith("\r") ? this.partial.slice(0, -1) : this.partial;
    const cut = this.overflow;
    this.partial = "";
    this.overflow = 0;
    if (line.length > 0 || cut > 0) this.emit(line, cut);
  }
}
