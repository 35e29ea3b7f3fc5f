import { ConfigError, isLoopbackHost, loadConfig } from "./config.js";
import { createJupyterServer } from "./jupyter/create.js";
import { createLogger } from "./log.js";
import { ignoreLibraryCancellations, quietLibraryChatter } from "./quiet.js";

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
ignoreLibraryCancellations((message) => log.debug(message));

// Jupyter boots while Node loads the MCP SDK and @jupyterlab/services: the two overlap.
const secure = config.authToken !== undefined || isLoopbackHost(config.host) || config.allowInsecure;
const jupyter = createJupyterServer(config, (message) => log.warn(message));
if (secure) jupyter.ensureRunning().catch(() => undefined);

try {
  const { startHttpServer } = await import("./http/node-server.js");
  const running = await startHttpServer(config, log, jupyter);
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
  await jupyter.stop();
  process.exit(1);
}
