import { startHttpServer } from "./http/node-server.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { quietLibraryChatter } from "./quiet.js";

// The local / Fargate entry: `node dist/server.js` (what `pnpm start` runs).
const config = (() => {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
})();
const log = createLogger(config.logLevel);
quietLibraryChatter(config.logLevel);

try {
  const running = await startHttpServer(config, log);
  const shutdown = (signal: string) => {
    log.info("shutting down", { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
} catch (err) {
  log.error("could not start", { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
