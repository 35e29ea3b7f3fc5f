import path from "node:path";
import { callerDirs } from "../callers.js";
import { ConfigError, type Config } from "../config.js";
import type { Logger } from "../log.js";
import { S3Mirror, type S3WorkspaceStore } from "../workspace/s3-sync.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { SessionCoordinator, type StoredPointer } from "./coordinator.js";
import { defaultLeaseOwner, SessionLeases } from "./lease.js";

/** Sessions as a config asks for them: a lease table, checkpoints in the workspace bucket. */
export function createSessionCoordinator(
  config: Config,
  store: S3WorkspaceStore | undefined,
  log: Logger,
  checkpointKey: string | undefined,
): SessionCoordinator | undefined {
  const sessions = config.sessions;
  if (!sessions || !store) return undefined;
  const key = sessions.checkpointKey ?? checkpointKey;
  if (!key) {
    throw new ConfigError(
      "Sessions are on (MCP_SESSION_TABLE) but no checkpoint key is set. Checkpoints are pickles, which are code, " +
        'so they are signed: set MCP_CHECKPOINT_KEY (32+ random characters) or add "checkpoint_key" to the token secret\'s JSON.',
    );
  }
  const leases = new SessionLeases<StoredPointer>({
    tableName: sessions.table,
    ...(sessions.dynamodbEndpoint ? { endpoint: sessions.dynamodbEndpoint } : {}),
    owner: defaultLeaseOwner(),
    leaseMs: sessions.leaseMs,
    log: (message, fields) => log.warn(message, fields),
  });
  const checkpoints = new CheckpointStore({
    client: store.client,
    bucket: store.bucket,
    prefix: store.prefix,
    key: Buffer.from(key, "utf8"),
  });
  const packages = new Map<string, S3Mirror>();
  return new SessionCoordinator({
    leases,
    store: checkpoints,
    packages: (caller) => {
      let mirror = packages.get(caller);
      if (!mirror) {
        mirror = new S3Mirror(
          store,
          callerDirs(config.stateRoot, caller).sitePackages,
          `${checkpoints.prefixOf(caller)}site-packages/`,
          `${store.prefix}outputs/${caller}/`,
          (message, fields) => log.warn(message, fields),
        );
        packages.set(caller, mirror);
      }
      return mirror;
    },
    scratchDir: (caller) => path.join(callerDirs(config.stateRoot, caller).root, "checkpoint"),
    maxVariableBytes: sessions.maxVariableBytes,
    log: (message, fields) => log.info(message, fields),
  });
}
