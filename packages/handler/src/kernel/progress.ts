import type { Execution } from "./execution.js";
import type { ProgressListener } from "./session-types.js";

/** Reports a waiting call's execution every `everyMs` until the caller clears the timer. */
export function startProgress(execution: Execution, listener: ProgressListener): NodeJS.Timeout {
  const started = Date.now();
  return setInterval(
    () => {
      if (execution.done) return;
      try {
        listener.report({
          executionId: execution.id,
          elapsedMs: Date.now() - started,
          outputs: execution.collector.outputs.length,
          tail: execution.tail(),
        });
      } catch {
        // A listener that fails (a closed stream) must never fail the cell.
      }
    },
    Math.max(100, listener.everyMs),
  );
}
