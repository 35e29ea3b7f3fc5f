import { ConfigError, isLoopbackHost, loadConfig } from "./config.js";
import { createKernelPool } from "./kernel/create.js";
import { createLogger } from "./log.js";
import { ignoreLibraryCancellations, routeProcessOutput } from "./quiet.js";

// The local / Fargate entry: `node dist/server.js` (what `pnpm start` runs).
routeProcessOutput(createLogger("info")); // JSON from the first line on; the configured level follows
const config = (() => {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      // One JSON line like every other (LOG_LEVEL is not known yet: the config is what failed).
      createLogger("error").error("invalid configuration", { error: err.message });
      process.exit(2);
    }
    throw err;
  }
})();
const log = createLogger(config.logLevel);
routeProcessOutput(log);
ignoreLibraryCancellations((message) => log.debug(message));

// The first kernel launches while Node loads the MCP SDK: the two overlap.
const secure = config.authTokens.size > 0 || isLoopbackHost(config.host) || config.allowInsecure;
const kernels = await createKernelPool(config, log);
if (secure) kernels.warmSpares().catch(() => undefined);

try {
  const { startHttpServer } = await import("./http/node-server.js");
  const running = await startHttpServer(config, log, kernels);
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
  await kernels.close();
  process.exit(1);
}
