import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { z } from "zod";

/** The 2026-07-28 revision, as the official v2 client speaks it (pinned: no fallback to initialize). */
export const MODERN = "2026-07-28";
export const TASKS = "io.modelcontextprotocol/tasks";

export async function connectModern(
  baseUrl: string,
  options: { token?: string; tasks?: boolean } = {},
): Promise<Client> {
  const client = new Client(
    { name: "jest-modern", version: "1.0.0" },
    {
      versionNegotiation: { mode: { pin: MODERN } },
      capabilities: options.tasks ? { extensions: { [TASKS]: {} } } : {},
    },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {},
  });
  await client.connect(transport);
  return client;
}

/** Any result object, unvalidated: task results are extension shapes the typed methods refuse. */
export const anyResult = z.looseObject({});

export interface TaskView {
  resultType?: string;
  taskId: string;
  status: string;
  statusMessage?: string;
  ttlMs?: number;
  pollIntervalMs?: number;
  result?: { content: { type: string; text?: string }[]; isError?: boolean; structuredContent?: unknown };
  error?: { code: number; message: string };
}

export async function taskGet(client: Client, taskId: string): Promise<TaskView> {
  return (await client.request(
    { method: "tasks/get", params: { taskId } },
    anyResult,
  )) as unknown as TaskView;
}

export async function taskCancel(client: Client, taskId: string): Promise<Record<string, unknown>> {
  return (await client.request({ method: "tasks/cancel", params: { taskId } }, anyResult)) as Record<
    string,
    unknown
  >;
}

/**
 * tools/call as plain HTTP with the 2026-07-28 envelope and headers: the v2 client refuses a
 * CreateTaskResult on tools/call (it has no client side of the Tasks extension), so the test reads it raw.
 */
export async function rawCall(
  baseUrl: string,
  name: string,
  args: Record<string, unknown>,
  options: { tasks?: boolean; token?: string } = { tasks: true },
): Promise<TaskView> {
  const res = await fetch(`${baseUrl}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN,
      "mcp-method": "tools/call",
      "mcp-name": name,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name,
        arguments: args,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN,
          "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": options.tasks ? { extensions: { [TASKS]: {} } } : {},
        },
      },
    }),
  });
  const raw = await res.text();
  // JSON, or an SSE stream whose last message event is the answer.
  const json = raw.startsWith("{")
    ? raw
    : (raw
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .pop()
        ?.slice(6) ?? "{}");
  const body = JSON.parse(json) as { result?: TaskView; error?: { code: number; message: string } };
  if (!body.result) throw new Error(`tools/call failed (${res.status}): ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Polls tasks/get until the task is terminal (bounded). */
export async function settle(client: Client, taskId: string, withinMs = 60_000): Promise<TaskView> {
  const until = Date.now() + withinMs;
  for (;;) {
    const task = await taskGet(client, taskId);
    if (["completed", "failed", "cancelled"].includes(task.status)) return task;
    if (Date.now() > until) throw new Error(`task ${taskId} still ${task.status} after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
