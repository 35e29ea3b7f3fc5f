import type { Config } from "./config.js";

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/**
 * One JSON line per entry on stderr. Callers pass named fields only: never whole events, bodies,
 * headers or environments, so nothing secret can slip in by accident.
 */
export function createLogger(
  level: Config["logLevel"],
  write = (line: string) => process.stderr.write(line),
): Logger {
  const min = LEVELS.indexOf(level);
  const at =
    (lvl: (typeof LEVELS)[number]) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS.indexOf(lvl) < min) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, message, ...fields })}\n`);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
