import path from "node:path";
import type { KernelSession } from "../kernel/session.js";
import { errorMessage } from "../kernel/wait.js";
import { AGENT_MODULE, AGENT_SOURCE, AGENT_VERSION } from "./agent-python.js";

/**
 * The kernel side of session checkpoints: an agent in the kernel pickles the caller's variables
 * into local content-addressed files and loads them back (agent-python*.ts). This module only
 * produces and consumes local files; storing them elsewhere is the caller's business. Everything
 * runs through `KernelSession.internal`: silent, queued behind the caller's cells, bounded.
 */

/** What the agent needs of a session. */
export type AgentKernel = Pick<KernelSession, "internal">;

/** One variable of a checkpoint: the file holding it, named by the sha256 of its bytes. */
export interface ManifestEntry {
  file: string;
  sha256: string;
  bytes: number;
  /** The names sharing this file (comma-separated, sorted): one object, or objects that refer to each other. */
  group?: string;
  /** The value's type, e.g. "int", "numpy.ndarray", "__main__.Model"; always set by the agent. */
  type?: string;
}

export type ManifestVariables = Record<string, ManifestEntry>;

/** `import numpy as np` → {alias: "np", module: "numpy"}; `from math import sqrt` → {..., name: "sqrt"}. */
export interface ImportEntry {
  alias: string;
  module: string;
  /** The attribute of `module` (a function or class imported by name), dotted for nested ones. */
  name?: string;
}

export interface CheckpointOptions {
  /** A local directory (created if missing) the kernel writes `<sha256>.pkl` files into. */
  dir: string;
  /** Variables whose pickle would be larger are skipped, with a note. */
  maxVariableBytes: number;
  /** What the last stored checkpoint holds; without it every variable is written. */
  previous?: ManifestVariables;
  timeoutMs?: number;
}

export interface CheckpointDelta {
  /** The full current set: unchanged variables keep their previous entry. */
  variables: ManifestVariables;
  /** sha256 of files written into `dir` that `previous` does not already hold. */
  written: string[];
  /** Names in `previous` that are no longer variables (deleted, or now a module). */
  deleted: string[];
  skipped: { name: string; reason: string }[];
  unpicklable: { name: string; type: string; reason: string }[];
  imports: ImportEntry[];
  cwd: string;
  /** The number of the last cell that ran. */
  executionCount: number;
  /** sys.path entries beyond the interpreter's own (install_package's directory...). */
  sysPath: string[];
  durationMs: number;
}

/** The parts of a checkpoint a restore uses (a stored manifest with more fields will do). */
export interface RestoreManifest {
  variables: ManifestVariables;
  imports?: readonly ImportEntry[];
  cwd?: string;
  executionCount?: number;
  sysPath?: readonly string[];
}

export interface RestoreOptions {
  /** The local directory holding the manifest's files. */
  dir: string;
  manifest: RestoreManifest;
  timeoutMs?: number;
}

export interface RestoreReport {
  restored: string[];
  failed: { name: string; reason: string }[];
  imports: { restored: number; failed: { alias: string; module: string; reason: string }[] };
  /** What could not be put back as it was and is not fatal (a missing directory...). */
  notes: string[];
  durationMs: number;
}

/** Names cells may have changed since the last checkpoint or restore; `all` when one could not be read. */
export interface DirtyNames {
  names: string[];
  all: boolean;
}

const INSTALL_TIMEOUT_MS = 30_000;
const CHECKPOINT_TIMEOUT_MS = 120_000;
const RESTORE_TIMEOUT_MS = 120_000;
/** The agent stops starting new pickles after this share of the timeout, and says what it left out. */
const AGENT_BUDGET = 0.8;

const py = JSON.stringify;
// Values travel as JSON string literals (always valid Python string literals), never spliced in.
const BOOT = [
  "import sys, types",
  `old = sys.modules.get(${py(AGENT_MODULE)})`,
  `if getattr(old, "VERSION", None) != ${AGENT_VERSION}:`,
  `    m = types.ModuleType(${py(AGENT_MODULE)})`,
  '    exec(compile(SRC, "<jupyter-mcp session agent>", "exec"), m.__dict__)',
  "    m._install(old)",
  `    sys.modules[${py(AGENT_MODULE)}] = m`,
].join("\n");
// One expression statement in a throwaway namespace: it binds no name in the caller's.
const INSTALL_CODE = `exec(${py(BOOT)}, {"SRC": ${py(AGENT_SOURCE)}})`;
/** What `internal` says when the kernel has no agent, or another version of it (a new kernel, a restart). */
const NO_AGENT = new RegExp(
  `^introspection failed: (KeyError '${AGENT_MODULE}'|ImportError ${AGENT_MODULE}: wrong version)`,
);

function expression(op: string, args: unknown): string {
  return `__import__("sys").modules[${py(AGENT_MODULE)}].run(${AGENT_VERSION}, ${py(op)}, ${py(JSON.stringify(args))})`;
}

/**
 * Runs one agent operation, defining the agent first when the kernel lacks it: the common case
 * costs one round trip without sending the agent's source.
 */
async function call(session: AgentKernel, op: string, args: unknown, timeoutMs: number): Promise<unknown> {
  try {
    return await session.internal("", expression(op, args), timeoutMs);
  } catch (err) {
    if (!NO_AGENT.test(errorMessage(err))) throw err;
  }
  return session.internal(INSTALL_CODE, expression(op, args), timeoutMs);
}

async function attempt<T>(what: string, run: () => Promise<unknown>): Promise<T> {
  let value: unknown;
  try {
    value = await run();
  } catch (err) {
    throw new Error(`The ${what} failed: ${errorMessage(err)}`, { cause: err });
  }
  if (value === null || typeof value !== "object") {
    throw new Error(`The ${what} failed: the kernel's agent answered ${py(value)}`);
  }
  return value as T;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const ms = value ?? fallback;
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`${name} must be a positive number, not ${ms}`);
  return ms;
}

/**
 * Defines the agent in the kernel (once per kernel: a second call finds it) and registers the
 * post_run_cell hook that records which names each cell may have changed.
 */
export async function installAgent(session: AgentKernel, timeoutMs = INSTALL_TIMEOUT_MS): Promise<void> {
  await attempt("agent's installation", () => call(session, "ping", {}, timeoutMs));
}

/**
 * Pickles what changed since the last checkpoint (or restore) into `dir` and returns the full
 * variable set. Never fails for a variable: those it cannot write are listed with the reason.
 */
export async function checkpoint(session: AgentKernel, options: CheckpointOptions): Promise<CheckpointDelta> {
  const timeoutMs = positive(options.timeoutMs, CHECKPOINT_TIMEOUT_MS, "timeoutMs");
  const maxVariableBytes = positive(options.maxVariableBytes, Number.NaN, "maxVariableBytes");
  const started = performance.now();
  const delta = await attempt<CheckpointDelta>("checkpoint", () =>
    call(
      session,
      "checkpoint",
      {
        // The kernel's working directory is not ours: it gets an absolute path.
        dir: path.resolve(options.dir),
        maxVariableBytes,
        previous: options.previous ?? {},
        budgetSeconds: (timeoutMs * AGENT_BUDGET) / 1000,
      },
      timeoutMs,
    ),
  );
  delta.durationMs = Math.round(performance.now() - started);
  return delta;
}

/**
 * Loads a checkpoint into the kernel: sys.path, working directory, imports, variables, execution
 * count. What fails is reported per import or variable and the rest goes on; the restored state
 * becomes the agent's baseline, so a checkpoint right after it writes nothing.
 */
export async function restore(session: AgentKernel, options: RestoreOptions): Promise<RestoreReport> {
  const timeoutMs = positive(options.timeoutMs, RESTORE_TIMEOUT_MS, "timeoutMs");
  const { variables, imports, cwd, executionCount, sysPath } = options.manifest;
  const started = performance.now();
  const report = await attempt<RestoreReport>("restore", () =>
    call(
      session,
      "restore",
      {
        dir: path.resolve(options.dir),
        manifest: { variables, imports, cwd, executionCount, sysPath },
        budgetSeconds: (timeoutMs * AGENT_BUDGET) / 1000,
      },
      timeoutMs,
    ),
  );
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/** The names the hook has collected since the last checkpoint or restore. */
export async function dirtyNames(session: AgentKernel, timeoutMs = INSTALL_TIMEOUT_MS): Promise<DirtyNames> {
  return attempt<DirtyNames>("dirty-name query", () => call(session, "dirty", {}, timeoutMs));
}
