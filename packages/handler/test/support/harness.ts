import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.js";
import { startHttpServer, type RunningServer } from "../../src/http/node-server.js";
import { createLogger } from "../../src/log.js";

export function tempStateRoot(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `jmcp-${label}-`));
}

/** A real HTTP server with a real Jupyter server and kernel behind it, on a free loopback port. */
export async function startTestServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    PORT: "0",
    JUPYTER_STATE_ROOT: tempStateRoot("state"),
    LOG_LEVEL: "error",
    ...env,
  });
  try {
    return await startHttpServer(config, createLogger(config.logLevel));
  } catch (err) {
    throw new Error(
      `Could not start the test server: ${(err as Error).message}\n` +
        "These tests need Debian's Jupyter: apt-get install -y jupyter-server python3-ipykernel python3-matplotlib python3-numpy python3-pandas (or run scripts/setup.sh).",
    );
  }
}

export async function connectClient(baseUrl: string, token?: string): Promise<Client> {
  const client = new Client({ name: "jest", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  await client.connect(transport);
  return client;
}

export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 120_000,
  })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content
    .filter((c): c is { type: "text"; text: string } => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

export interface ExecutionStructured {
  status: string;
  execution_count: number | null;
  execution_id: string;
  outputs: { type: string; name?: string; text?: string; image_index?: number; ename?: string }[];
  notes: string[];
  truncated_chars: number;
  kernel_restarted: boolean;
}

export function structured(result: CallToolResult): ExecutionStructured {
  return result.structuredContent as unknown as ExecutionStructured;
}

/** POSTs one JSON-RPC message the way the README's curl examples do. */
export async function rpc(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<Response> {
  return fetch(`${baseUrl}/mcp`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
