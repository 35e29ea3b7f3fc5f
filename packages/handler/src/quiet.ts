import type { Config } from "./config.js";

/**
 * @jupyterlab/services narrates every websocket and status change through console.debug and
 * console.log; on Lambda that is a CloudWatch line per call. Keep it only at LOG_LEVEL=debug.
 */
export function quietLibraryChatter(level: Config["logLevel"]): void {
  if (level === "debug") return;
  console.debug = () => undefined;
}
