import type { ChildProcess } from "node:child_process";

export declare const DEFAULT_IMAGE: string;
export declare const ROOTFS_CACHE: string;
export declare const SANDBOX_UID: number;
export declare class ImageMissingError extends Error {}

export interface ImageInfo {
  image: string;
  id: string;
  size: number;
  created: string;
  /** The image's CPU as the OCI config names it: amd64, arm64. */
  architecture: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  user: string;
  workingDir: string;
  labels: Record<string, string>;
  healthcheck: { Test?: string[] } | null;
}

export interface SandboxChild extends ChildProcess {
  output: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export declare function imageInfo(image?: string): Promise<ImageInfo>;
export declare function exportRootfs(info: ImageInfo): Promise<string>;
export declare function lambdaEnv(opts: {
  runtimeApi: string;
  functionName?: string;
  region?: string;
  memoryMb?: number;
  handler?: string;
}): Record<string, string>;
export declare function freePort(): Promise<number>;
export declare function bwrapArgs(opts: {
  rootfs: string;
  env: Record<string, string | undefined>;
  cwd?: string;
  uid?: number;
  argv: string[];
  /** argv[0] is PID 1 of the sandbox (bwrap --as-pid-1), as a container's first process is. */
  asPid1?: boolean;
  /** [host path, sandbox path under /tmp] pairs, mounted read-only. */
  binds?: [string, string][];
}): string[];
export declare function spawnImage(opts: {
  info: ImageInfo;
  rootfs: string;
  command?: string[];
  env?: Record<string, string | undefined>;
  uid?: number;
  /** Put in front of the entrypoint with the same environment, like ECS's init: ["/usr/bin/tini", "--"]. */
  init?: string[];
  /** The first program (init or entrypoint) is PID 1 of the sandbox. */
  asPid1?: boolean;
  /** [host path, sandbox path under /tmp] pairs, mounted read-only (test fixtures). */
  binds?: [string, string][];
  echo?: boolean;
}): SandboxChild;
export declare function stopImage(child: SandboxChild, graceMs?: number): Promise<void>;
