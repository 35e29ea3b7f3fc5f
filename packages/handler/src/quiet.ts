import type { Config } from "./config.js";
import { routeLibraryConsole } from "./kernel/services/library-console.js";
import type { Logger } from "./log.js";

/**
 * @jupyterlab/services narrates every websocket and status change through console.debug and
 * console.log; on Lambda that is a CloudWatch line per call. Keep it only at LOG_LEVEL=debug.
 */
export function quietLibraryChatter(level: Config["logLevel"]): void {
  if (level === "debug") return;
  console.debug = () => undefined;
}

/**
 * @jupyterlab/services reconnects by itself after a kernel auto-restart and does not await it; when
 * that races another restart, a "Canceled future" rejection surfaces with nobody to catch it. That
 * one is harmless (the session reconnects on the next call); anything else is rethrown, as Node's
 * default would, and routeProcessOutput logs it as JSON.
 */
export function ignoreLibraryCancellations(log: (message: string) => void): void {
  process.on("unhandledRejection", (reason) => {
    if (reason instanceof Error && /^Canceled future for /.test(reason.message)) {
      log(`ignored a cancelled kernel request: ${reason.message}`);
      return;
    }
    throw reason;
  });
}

let current: Logger | undefined;

/**
 * Keeps our stdout and stderr one JSON object per line. Plain text reaches them by four paths:
 * libraries' console calls (@jupyterlab/services' chatter and server tracebacks, @hono/node-server's
 * console.error of a failed request), Node's process warnings (the AWS SDK's
 * NodeVersionSupportWarning, deprecations), and the stack traces Node prints for an uncaught
 * exception or an unhandled rejection. Each becomes a log entry instead. Call it as soon as the
 * logger exists; a second call only swaps the logger.
 */
export function routeProcessOutput(log: Logger): void {
  const first = current === undefined;
  current = log;
  if (!first) return;
  const sink = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) =>
    current?.[level](message, fields);
  routeLibraryConsole({ debug: sink("debug"), info: sink("info"), warn: sink("warn"), error: sink("error") });
  // Node prints warnings through its own 'warning' listener; ours replaces it.
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    current?.warn("node warning", {
      warning: warning.name,
      text: warning.message,
      ...("code" in warning ? { code: (warning as { code: unknown }).code } : {}),
    });
  });
  process.on("uncaughtException", (err, origin) => {
    current?.error(origin === "unhandledRejection" ? "unhandled rejection" : "uncaught exception", {
      error: err instanceof Error ? err.message : String(err),
      ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
    });
    // Alone, die as Node would have (exit code 1), only in JSON. Lambda's runtime listens too, and
    // reports the error itself before it exits.
    if (process.listenerCount("uncaughtException") === 1) process.exit(1);
  });
}
