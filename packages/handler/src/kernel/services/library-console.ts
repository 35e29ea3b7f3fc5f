import { formatWithOptions } from "node:util";

/** The levels of our logger (src/log.ts's Logger fits). */
export interface ConsoleSink {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ROUTES = { debug: "debug", log: "info", info: "info", warn: "warn", error: "error" } as const;
type ConsoleMethod = keyof typeof ROUTES;
const MAX_TEXT_CHARS = 4000;

/**
 * @jupyterlab/services has no logger option: it writes through console.debug/log/warn/error
 * ("Connection lost, reconnecting", a server's Python traceback, "kernel does not exist"), and a
 * traceback printed raw would break our one-JSON-object-per-line stderr. This sends every console
 * call to `sink` as one entry, tokens redacted, at a matching level (debug stays below LOG_LEVEL).
 * It is process-wide, as console is: install it once at startup. Returns the undo.
 */
export function routeLibraryConsole(sink: ConsoleSink): () => void {
  const originals = {} as Record<ConsoleMethod, (...args: unknown[]) => void>;
  let inside = false;
  for (const method of Object.keys(ROUTES) as ConsoleMethod[]) {
    const original = console[method];
    originals[method] = original;
    console[method] = (...args: unknown[]) => {
      // A sink that itself writes through console must not loop back here.
      if (inside) return original.apply(console, args);
      inside = true;
      try {
        const text = redactTokens(formatWithOptions({ breakLength: Infinity }, ...args));
        sink[ROUTES[method]]("library console output", {
          console: method,
          text: text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS)}…` : text,
        });
      } finally {
        inside = false;
      }
    };
  }
  return () => Object.assign(console, originals);
}

/** `token=…`, `token …` (Authorization) and URL user:password@ never reach a log line. */
export function redactTokens(text: string): string {
  return text
    .replace(/(token[=:\s]\s*)[^\s&"',;]+/gi, "$1[redacted]")
    .replace(/\/\/[^/@\s]+@/g, "//[redacted]@");
}
