import { McpServer } from "@modelcontextprotocol/server";
import { registerTaskMethods } from "../tasks/task-methods.js";
import { TASKS_EXTENSION, type TaskRunner } from "../tasks/task-runner.js";
import { recordToolSchemas } from "./call-check.js";
import { registerWorkspaceResources } from "./resources.js";
import type { ToolContext } from "./tools/context.js";
import { registerExecuteCode } from "./tools/execute-code.js";
import { registerGetExecutionOutput } from "./tools/get-execution-output.js";
import { registerGetKernelStatus } from "./tools/get-kernel-status.js";
import { registerGetVariables } from "./tools/get-variables.js";
import { registerInspectVariable } from "./tools/inspect-variable.js";
import { registerInterruptKernel } from "./tools/interrupt-kernel.js";
import { registerRestartKernel } from "./tools/restart-kernel.js";
import { registerCreateNotebook } from "./tools/create-notebook.js";
import { registerDeleteCell } from "./tools/delete-cell.js";
import { registerExecuteCell } from "./tools/execute-cell.js";
import { registerInsertCell } from "./tools/insert-cell.js";
import { registerInstallPackage } from "./tools/install-package.js";
import { registerListFiles } from "./tools/list-files.js";
import { registerOverwriteCellSource } from "./tools/overwrite-cell-source.js";
import { registerReadCell } from "./tools/read-cell.js";
import { registerReadNotebook } from "./tools/read-notebook.js";

export const SERVER_NAME = "jupyter-mcp";
export const SERVER_VERSION = "0.1.0";

const INSTRUCTIONS = `A persistent Python (IPython) kernel of your own (other callers have theirs). Use execute_code to run code; variables and imports
persist between calls, so build results step by step. matplotlib figures come back as PNG images
(no plt.show() needed beyond what you would do in a notebook). Long cells: pass timeout (seconds);
on expiry the cell is interrupted and variables are kept. If a call returns status "running" with an
execution_id, fetch the rest with get_execution_output. get_variables and inspect_variable show state
without changing it; restart_kernel clears everything. Output is capped per call: print summaries,
not whole data sets. Files live in the workspace (the kernel's working directory): list_files,
create_notebook, read_notebook and the cell tools (read_cell, insert_cell, overwrite_cell_source,
delete_cell, execute_cell) take paths relative to it. install_package pip-installs a package for the
kernel. The workspace's files are also MCP resources (workspace://<path>, resources/list and
resources/read); images too large for a response are saved there and come back as resource links.`;

/** What one request's server needs beyond the tool context. */
export interface ServerSetup {
  era: "legacy" | "modern";
  /**
   * The client declared the Tasks extension: execute_code and execute_cell may answer with a task,
   * so they declare no output schema (the SDK would hold a CreateTaskResult to it).
   */
  declaresTasks?: boolean;
  /** This process's task runner and the caller of the request being served (Tasks extension). */
  tasks?: { runner: TaskRunner; callerOf: () => string };
}

/** Tools and templates do not change while the server runs: clients may cache the lists briefly. */
const LIST_CACHE = { ttlMs: 300_000, cacheScope: "private" as const };

/**
 * Builds the MCP server for one request, with every tool. Tools read `ctx` when called; the tool
 * context belongs to this request (its caller's kernel and files, its budget).
 */
export function createMcpServer(ctx: ToolContext, setup: ServerSetup = { era: "legacy" }): McpServer {
  const tasks = setup.era === "modern" ? setup.tasks : undefined;
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      instructions: INSTRUCTIONS,
      capabilities: {
        tools: {},
        ...(tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
      },
      cacheHints: { "tools/list": LIST_CACHE, "resources/templates/list": LIST_CACHE },
    },
  );
  recordToolSchemas(server);
  const mayAnswerWithTask = setup.declaresTasks === true && tasks !== undefined;
  registerExecuteCode(server, ctx, mayAnswerWithTask);
  registerGetExecutionOutput(server, ctx);
  registerGetKernelStatus(server, ctx);
  registerRestartKernel(server, ctx);
  registerInterruptKernel(server, ctx);
  registerGetVariables(server, ctx);
  registerInspectVariable(server, ctx);
  registerInstallPackage(server, ctx);
  registerListFiles(server, ctx);
  registerCreateNotebook(server, ctx);
  registerReadNotebook(server, ctx);
  registerReadCell(server, ctx);
  registerInsertCell(server, ctx);
  registerOverwriteCellSource(server, ctx);
  registerDeleteCell(server, ctx);
  registerExecuteCell(server, ctx, mayAnswerWithTask);
  registerWorkspaceResources(server, ctx);
  if (tasks) registerTaskMethods(server, tasks.runner, tasks.callerOf);
  return server;
}
