import { getRequestListener } from "@hono/node-server";
import {
  createMcpHandler,
  McpServer,
  type CallToolResult,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { clientDeclaresTasks } from "../../src/mcp/long-run.js";
import { FileTaskStore } from "../../src/tasks/file-task-store.js";
import { registerTaskMethods } from "../../src/tasks/task-methods.js";
import { TASKS_EXTENSION, TaskRunner } from "../../src/tasks/task-runner.js";
import { tempStateRoot } from "./harness.js";

/**
 * The fixture server the conformance suite's tasks-* scenarios expect (greet, slow_compute,
 * failing_job, protocol_error_job), built on our task runner, store and tasks/* methods: the
 * scenarios then judge our implementation of the extension, not a stand-in.
 */
export interface TasksFixture {
  url: string;
  close(): Promise<void>;
}

const CALLER = "default";

export async function startTasksFixture(): Promise<TasksFixture> {
  const runner = new TaskRunner({
    store: new FileTaskStore(`${tempStateRoot("tasks-fixture")}/tasks`),
    ttlMs: 60_000,
    pollIntervalMs: 200,
    tickMs: 200,
  });
  const handler = createMcpHandler(() => fixtureServer(runner), { legacy: "stateless" });
  const listener = getRequestListener((request) => handler.fetch(request));
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await handler.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function fixtureServer(runner: TaskRunner): McpServer {
  const server = new McpServer(
    { name: "tasks-fixture", version: "1.0.0" },
    { capabilities: { tools: {}, extensions: { [TASKS_EXTENSION]: {} } } },
  );
  const tasks = runner.forCaller(CALLER);

  /** A task-supporting tool: a task when the client declared the extension, else run inline. */
  const taskTool = async (
    request: ServerContext,
    work: (signal: AbortSignal) => Promise<CallToolResult>,
  ): Promise<CallToolResult> => {
    if (!clientDeclaresTasks(request)) return work(new AbortController().signal);
    const abort = new AbortController();
    return (await tasks.start({
      statusMessage: "working",
      outcome: () => work(abort.signal),
      cancel: async () => abort.abort(),
    })) as unknown as CallToolResult;
  };

  server.registerTool(
    "greet",
    { description: "Sync greeting", inputSchema: { name: z.string() } },
    async ({ name }) => ({
      content: [{ type: "text", text: `Hello, ${name}!` }],
    }),
  );
  server.registerTool(
    "slow_compute",
    {
      description: "Sleeps `seconds`, then answers (task-supporting)",
      inputSchema: { seconds: z.number().nonnegative(), label: z.string().optional() },
    },
    async ({ seconds, label }, request) =>
      taskTool(request, async (signal) => {
        await sleep(seconds * 1000, signal);
        return { content: [{ type: "text", text: `computed ${label ?? ""} after ${seconds} s` }] };
      }),
  );
  server.registerTool(
    "failing_job",
    { description: "A tool error after ~1 s (task-supporting)", inputSchema: {} },
    async (_args, request) =>
      taskTool(request, async (signal) => {
        await sleep(1000, signal);
        return { content: [{ type: "text", text: "the job failed" }], isError: true };
      }),
  );
  server.registerTool(
    "protocol_error_job",
    { description: "Fails at the protocol level (task-supporting)", inputSchema: {} },
    async (_args, request) =>
      taskTool(request, async () => {
        throw new Error("internal failure in protocol_error_job");
      }),
  );
  registerTaskMethods(server, runner, () => CALLER);
  return server;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("cancelled"));
    });
  });
}
