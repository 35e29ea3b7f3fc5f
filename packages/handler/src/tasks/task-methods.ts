import {
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { clientDeclaresTasks } from "../mcp/long-run.js";
import { TASKS_EXTENSION, type TaskRunner } from "./task-runner.js";
import { isValidTaskId } from "./task-store.js";

const taskIdParams = z.looseObject({ taskId: z.string().min(1).max(200) });
const anyResult = z.looseObject({});

/**
 * The Tasks extension's methods (SEP-2663): tasks/get and tasks/cancel, and tasks/update, which no
 * task of ours needs (none waits for input). tasks/result and tasks/list are gone in this version of
 * the extension and stay unregistered, so the SDK answers -32601. Each answers only for the caller
 * the request authenticated as (`callerOf`, read per request: servers are reused), and only to
 * clients that declared the extension (-32021 otherwise).
 */
export function registerTaskMethods(server: McpServer, runner: TaskRunner, callerOf: () => string): void {
  const low = server.server;
  low.setRequestHandler("tasks/get", { params: taskIdParams, result: anyResult }, async (params, ctx) => {
    requireExtension(ctx);
    const task = isValidTaskId(params.taskId) ? await runner.get(callerOf(), params.taskId) : undefined;
    if (!task) throw unknownTask(params.taskId);
    return task;
  });
  low.setRequestHandler("tasks/cancel", { params: taskIdParams, result: anyResult }, async (params, ctx) => {
    requireExtension(ctx);
    if (!isValidTaskId(params.taskId) || !(await runner.cancel(callerOf(), params.taskId))) {
      throw unknownTask(params.taskId);
    }
    return { resultType: "complete" };
  });
  low.setRequestHandler("tasks/update", { params: taskIdParams, result: anyResult }, async (params, ctx) => {
    requireExtension(ctx);
    const task = isValidTaskId(params.taskId) ? await runner.get(callerOf(), params.taskId) : undefined;
    if (!task) throw unknownTask(params.taskId);
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Task ${params.taskId} is ${String(task.status)}, not input_required: this server's tasks never wait for input.`,
    );
  });
}

function requireExtension(ctx: ServerContext): void {
  if (clientDeclaresTasks(ctx)) return;
  throw new MissingRequiredClientCapabilityError(
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    `Declare the ${TASKS_EXTENSION} extension in your client capabilities to use the tasks methods.`,
  );
}

function unknownTask(taskId: string): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Unknown task ${JSON.stringify(taskId.slice(0, 100))}: it never existed for you, or it expired.`,
  );
}
