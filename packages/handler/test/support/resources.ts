import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport, McpServer, ProtocolError } from "@modelcontextprotocol/server";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { OutputLimits } from "../../src/config.js";
import type { KernelSession } from "../../src/kernel/session.js";
import { registerWorkspaceResources, type WorkspaceResourceOptions } from "../../src/mcp/resources.js";
import type { ToolContext } from "../../src/mcp/tools/context.js";
import { Workspace } from "../../src/workspace/workspace.js";

/** Workspace resources over the v2 client and an in-memory transport, with real workspaces on disk. */
export const dir = (label: string) => mkdtempSync(path.join(tmpdir(), `jmcp-res-${label}-`));
export const LIMITS: OutputLimits = {
  maxOutputChars: 1000,
  maxImages: 10,
  maxImageBytes: 1_500_000,
  maxResponseBytes: 4_500_000,
};

export function workspaceAt(root: string): Workspace {
  return new Workspace({ root, sitePackages: dir("site"), python: "/usr/bin/python3", kernelEnv: {} });
}

export function contextFor(workspace: Workspace | undefined, limits: OutputLimits = LIMITS): ToolContext {
  // Resources never touch the kernel session.
  return {
    session: undefined as unknown as KernelSession,
    limits,
    defaultTimeoutSeconds: 30,
    maxTimeoutSeconds: 60,
    ...(workspace ? { workspace } : {}),
  };
}

export function put(root: string, relative: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

const open: { close(): Promise<void> }[] = [];

/** Connections made since the last call are closed (call it from afterEach). */
export async function closeAll(): Promise<void> {
  for (const c of open.splice(0)) await c.close();
}

/** Something to close with the others. */
export function track(closer: { close(): Promise<void> }): void {
  open.push(closer);
}

export async function connect(
  ctx: ToolContext,
  options?: WorkspaceResourceOptions,
  setup?: (server: McpServer) => void,
): Promise<Client> {
  const server = new McpServer({ name: "resources-test", version: "1.0.0" });
  registerWorkspaceResources(server, ctx, options);
  setup?.(server);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "jest", version: "1.0.0" });
  await client.connect(clientSide);
  track({ close: async () => (await client.close(), await server.close()) });
  return client;
}

/** One raw page (the client's listResources() without a cursor walks all pages). */
export function firstPage(client: Client) {
  return client.request({ method: "resources/list", params: {} });
}

export async function readError(client: Client, uri: string): Promise<ProtocolError> {
  const err = await client.readResource({ uri }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProtocolError)) throw new Error(`${uri} was read, or failed oddly: ${String(err)}`);
  return err;
}
