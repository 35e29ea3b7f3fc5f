import { createHash } from "node:crypto";
import path from "node:path";

/**
 * Who a call is for, as authentication established it, and the key that names that caller's
 * kernel, directories and S3 prefixes. Identities are `token:<name>` (a named bearer token), or
 * what the front door authenticated (`jwt:<iss>|<sub>`, `iam:<arn>`, `lambda:<principal>`);
 * `undefined` is the one caller of MCP_AUTH_TOKEN or of an unauthenticated loopback server.
 */
export const DEFAULT_CALLER = "default";

/** Token names: short, lower-case, safe in paths and S3 keys; `id-` is reserved for hashed identities. */
export const TOKEN_NAME = /^(?!id-)[a-z0-9-]{1,64}$/;

export function tokenIdentity(name: string): string | undefined {
  return name === DEFAULT_CALLER ? undefined : `token:${name}`;
}

/** "default", a token's name, or `id-` and a hash that names nobody (JWT subjects, ARNs). */
export function callerKey(identity: string | undefined): string {
  if (identity === undefined || identity === "") return DEFAULT_CALLER;
  const name = identity.startsWith("token:") ? identity.slice("token:".length) : undefined;
  if (name !== undefined && TOKEN_NAME.test(name)) return name;
  return `id-${createHash("sha256").update(identity).digest("hex").slice(0, 32)}`;
}

export interface CallerDirs {
  root: string;
  /** The workspace: the kernel's working directory, what the file tools see. */
  workDir: string;
  home: string;
  /** install_package's pip --target, first on the kernel's sys.path. */
  sitePackages: string;
}

/** Each caller's own directories under the state root. */
export function callerDirs(stateRoot: string, key: string): CallerDirs {
  const root = path.join(stateRoot, "callers", key);
  return {
    root,
    workDir: path.join(root, "work"),
    home: path.join(root, "home"),
    sitePackages: path.join(root, "site-packages"),
  };
}
