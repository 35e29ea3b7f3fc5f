import type { Config } from "./config.js";

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
 * one is harmless (the session reconnects on the next call); anything else keeps Node's default.
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
