/**
 * The connection file of one kernel and the ZMQ endpoints in it.
 *
 * Transport is `ipc` (Unix sockets), not tcp: we pick the socket paths ourselves, so there is no
 * window between "find a free port" and the kernel binding it in which something else takes it;
 * the sockets live in our 0700 runtime directory, so no other local user can even connect; and a
 * Unix socket is a little cheaper per message than loopback TCP.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** The five channels in the fixed "port" numbers we give ipykernel (`<ip>-<port>` paths). */
export const CHANNEL_PORTS = { shell: 1, iopub: 2, stdin: 3, control: 4, hb: 5 } as const;
export type ChannelName = keyof typeof CHANNEL_PORTS;

/** sun_path is 108 bytes with its NUL; ipykernel binds `<ip>-<port>`. */
const MAX_SOCKET_PATH = 107;

export interface ConnectionInfo {
  transport: "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

export interface KernelFiles {
  connectionFile: string;
  info: ConnectionInfo;
  endpoints: Record<ChannelName, string>;
  /** Every file the kernel may leave behind: the connection file and the socket files. */
  paths: string[];
  /** A directory made only for this kernel's sockets (when the runtime path is too long). */
  ownDir: string | undefined;
}

export async function ensureRuntimeDir(runtimeDir: string): Promise<void> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
}

/** Writes `<runtimeDir>/kernel-<id>.json` (0600, exclusive) with a fresh random key. */
export async function writeConnectionFile(
  runtimeDir: string,
  kernelId: string,
  kernelName: string,
): Promise<KernelFiles> {
  const connectionFile = path.join(runtimeDir, `kernel-${kernelId}.json`);
  let ip = path.join(runtimeDir, `kernel-${kernelId}-ipc`);
  let ownDir: string | undefined;
  if (Buffer.byteLength(ip) + 2 > MAX_SOCKET_PATH) {
    // A deep state root would make the socket paths too long to bind: use a private short
    // directory instead (still 0700, still ours, removed with the kernel).
    ownDir = await mkdtemp(path.join(tmpdir(), "jmcp-k-"));
    ip = path.join(ownDir, "k");
  }
  const info: ConnectionInfo = {
    transport: "ipc",
    ip,
    shell_port: CHANNEL_PORTS.shell,
    iopub_port: CHANNEL_PORTS.iopub,
    stdin_port: CHANNEL_PORTS.stdin,
    control_port: CHANNEL_PORTS.control,
    hb_port: CHANNEL_PORTS.hb,
    key: randomBytes(32).toString("hex"),
    signature_scheme: "hmac-sha256",
    kernel_name: kernelName,
  };
  const endpoints = {} as Record<ChannelName, string>;
  const paths = [connectionFile];
  for (const [name, port] of Object.entries(CHANNEL_PORTS) as [ChannelName, number][]) {
    endpoints[name] = `ipc://${ip}-${port}`;
    paths.push(`${ip}-${port}`);
  }
  try {
    await writeFile(connectionFile, JSON.stringify(info, null, 1), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
    throw err;
  }
  return { connectionFile, info, endpoints, paths, ownDir };
}

/** Removes the connection file and any socket file left behind. Never throws. */
export async function removeKernelFiles(files: KernelFiles): Promise<void> {
  await Promise.all(files.paths.map((file) => rm(file, { force: true }).catch(() => undefined)));
  if (files.ownDir) await rm(files.ownDir, { recursive: true, force: true }).catch(() => undefined);
}
