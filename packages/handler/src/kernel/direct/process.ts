/**
 * The kernel's OS process: spawned in its own process group, with a watchdog that takes the
 * whole group down when we die, however we die.
 *
 * Why this design, and why /bin/sh rather than a Python wrapper:
 * - `detached: true` makes the kernel a session and process-group leader (pgid = pid), and every
 *   subprocess a cell starts joins that group, so `kill(-pid, sig)` reaches the kernel and all its
 *   children: SIGINT interrupts `subprocess.run(["sleep", "100"])`, SIGKILL leaves nothing behind.
 * - When Node is SIGKILLed nothing of ours runs, so something else must notice. The wrapper's
 *   fd 3 is a socketpair whose other end only Node holds (the "lifeline"); before exec'ing the
 *   kernel (which does not inherit fd 3), the sh wrapper starts a watchdog that reads it and, at
 *   EOF (Node gone, by any death), runs `kill -9 0`: the whole group, itself included.
 *   PR_SET_PDEATHSIG alone would only kill the kernel, not what the kernel started, and it fires
 *   when the spawning *thread* exits (a worker thread would take its kernels with it), so we do
 *   not rely on it. (ipykernel's own parent poller, enabled by JPY_PARENT_PID, is a second line
 *   for the kernel itself only.)
 * - The watchdog is double-forked so it is not the kernel's child: ipykernel terminates (and psutil
 *   lists, and a cell's `os.wait()` would reap) its children; our watchdog must not be one of them.
 *   It ignores INT/TERM/HUP/QUIT, so interrupts sent to the group do not kill it. Init reaps it.
 * - sh starts in about a millisecond and the watchdog is a ~1 MB dash; a Python wrapper would add
 *   ~10 ms of interpreter start to every launch and ~8 MB per kernel.
 * Also `process.on("exit")` kills every live group, for normal exits that skip shutdown.
 * Children that call setsid() leave the group and escape all of this; only a cgroup could hold them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import type { KernelOutputLog } from "./output-log.js";

const WRAPPER = [
  "( ( trap '' INT QUIT TERM HUP; while read -r _; do :; done; kill -9 0 ) <&3 >/dev/null 2>&1 & )",
  "exec 3<&-",
  'exec "$@"',
].join("\n");

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnKernelOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  output: KernelOutputLog;
}

const live = new Set<KernelProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const kernel of live) kernel.killGroup();
  });
}

export class KernelProcess {
  readonly pid: number;
  /** Settles once the kernel process (the group leader) has exited; never rejects. */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private groupKilled = false;

  private constructor(
    private readonly child: ChildProcess,
    pid: number,
  ) {
    this.pid = pid;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Spawns the kernel; rejects only when not even /bin/sh could start (cwd gone, EMFILE...). */
  static async spawn(options: SpawnKernelOptions): Promise<KernelProcess> {
    const child = spawn("/bin/sh", ["-c", WRAPPER, "jupyter-kernel", ...options.argv], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    if (child.pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once("error", resolve));
      throw err;
    }
    child.on("error", () => undefined); // a failed kill() on a dead process; nothing to do.
    const kernel = new KernelProcess(child, child.pid);
    pipeLines(child.stdout!, options.output.stream("stdout"));
    pipeLines(child.stderr!, options.output.stream("stderr"));
    // The lifeline: never written, never read; it only has to stay open for as long as we live.
    const lifeline = child.stdio[3] as Readable & { unref?: () => void };
    lifeline.on("error", () => undefined);
    lifeline.unref?.();
    live.add(kernel);
    installExitHook();
    return kernel;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** Signals the whole group. Returns false when there was no group left to signal. */
  signalGroup(signal: NodeJS.Signals): boolean {
    if (this.groupKilled) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * SIGKILLs the group, once: after that the group may be gone and its number reused, so we
   * never signal it again. Drops the kernel from the exit hook's list.
   */
  killGroup(): void {
    if (this.groupKilled) return;
    this.signalGroup("SIGKILL");
    this.groupKilled = true;
    live.delete(this);
  }

  /**
   * Kills the group and waits, bounded, until it is really empty: SIGKILL is delivered
   * asynchronously, and "after shutdown nothing of the kernel runs" should hold the moment we
   * return. Then lets go of the pipes.
   */
  async destroy(waitMs = 1000): Promise<void> {
    const deadline = performance.now() + waitMs;
    this.killGroup();
    if (!this.exit) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.exited,
        new Promise((resolve) => {
          timer = setTimeout(resolve, waitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    while (groupRuns(this.pid) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Grandchildren may hold stdout/stderr open a moment longer; we are done listening.
    for (const stream of this.child.stdio) (stream as Readable | null)?.destroy();
  }
}

/**
 * Whether a process of the group still runs. Signal 0 answers "does the group exist" cheaply (and
 * harmlessly, should the number have been reused), but zombies count for it: the watchdog is
 * reaped by init, which may take its time (here, about a second). So when the group still exists
 * we look in /proc for a member that is not a zombie; without /proc, kill() has the last word.
 */
function groupRuns(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  for (const name of entries) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so split after it.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ", 3);
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}

function pipeLines(stream: Readable, splitter: { write(chunk: string): void; end(): void }): void {
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => splitter.write(chunk));
  // "close", not "end": destroy() at cleanup skips "end", and a last line without newline counts.
  stream.on("close", () => splitter.end());
  stream.on("error", () => undefined);
}
