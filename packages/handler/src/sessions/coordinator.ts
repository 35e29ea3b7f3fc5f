import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { KernelSession } from "../kernel/session.js";
import type { S3Mirror } from "../workspace/s3-sync.js";
// Every agent call defines the agent first when the kernel lacks it (agent.ts), so no separate install.
import { checkpoint, restore } from "./agent.js";
import {
  CheckpointTamperedError,
  type CheckpointManifest,
  type CheckpointPointer,
  type CheckpointStore,
} from "./checkpoint-store.js";
import type { Lease, SessionLeases } from "./lease.js";

/**
 * Sessions that outlive the process. Every call that uses a caller's kernel state holds the
 * caller's lease (one process at a time, across environments); before it runs, a kernel that is
 * behind the session's version is restored from the checkpoint (a stale kernel never answers);
 * after it, what changed is checkpointed and the version moves on.
 */
export interface SessionCoordinatorOptions {
  leases: SessionLeases<StoredPointer>;
  store: CheckpointStore;
  /** The caller's site-packages mirror (install_package's packages survive with the session). */
  packages: (caller: string) => S3Mirror;
  /** Local scratch for a caller's pickles. */
  scratchDir: (caller: string) => string;
  maxVariableBytes: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export type StoredPointer = CheckpointPointer & Record<string, unknown>;

/** What this process's kernel of a caller holds: which version, on which kernel. */
interface Held {
  version: number;
  kernelId: string | null;
  manifest: CheckpointManifest | undefined;
  /** The notes of the last checkpoint, so the caller hears of a change only once. */
  notes: string;
}

/** One call's hold on the session: finish() checkpoints (when code ran) and releases the lease. */
export interface SessionTurn {
  finish(): Promise<void>;
}

export class SessionCoordinator {
  private readonly held = new Map<string, Held>();

  constructor(private readonly options: SessionCoordinatorOptions) {}

  /** Takes the caller's lease (waiting within `waitMs`) and brings its kernel up to the session's version. */
  async begin(
    caller: string,
    session: KernelSession,
    waitMs: number,
    options: { clearsState?: boolean } = {},
  ): Promise<SessionTurn> {
    const lease = await this.options.leases.acquire(caller, waitMs);
    try {
      await this.catchUp(caller, session, lease);
    } catch (err) {
      await lease.release();
      throw err;
    }
    const before = { mutations: session.mutations, restarts: session.status().restarts };
    return { finish: () => this.finish(caller, session, lease, before, options.clearsState === true) };
  }

  private async catchUp(caller: string, session: KernelSession, lease: Lease<StoredPointer>): Promise<void> {
    const mine = this.held.get(caller);
    const { kernelId, executionCount } = session.status();
    if (mine && kernelId !== null && mine.kernelId === kernelId && mine.version === lease.version) return;
    // A kernel that ran nothing yet (a warm or spare one) can take a restore as it is.
    const pristine = kernelId === null || executionCount === null;
    if (!lease.checkpoint || lease.version === 0) {
      if (!pristine && mine && mine.version !== lease.version) {
        await session.restart("the session was reset elsewhere");
      }
      this.held.set(caller, { version: lease.version, kernelId, manifest: undefined, notes: "" });
      return;
    }
    if (!pristine) await session.restart("its state is older than the session's checkpoint");
    try {
      await this.restore(caller, session, lease);
    } catch (err) {
      if (!(err instanceof CheckpointTamperedError)) throw err;
      // Never load it; the caller goes on with an empty kernel, and its next checkpoint replaces it.
      this.options.log?.("checkpoint refused", { caller, error: err.message });
      session.announce(`${err.message} This kernel starts empty.`);
      this.held.set(caller, {
        version: lease.version,
        kernelId: session.status().kernelId,
        manifest: undefined,
        notes: "",
      });
    }
  }

  private async restore(caller: string, session: KernelSession, lease: Lease<StoredPointer>): Promise<void> {
    const started = performance.now();
    const { store } = this.options;
    const manifest = await store.manifest(caller, lease.checkpoint as unknown as CheckpointPointer);
    const dir = this.options.scratchDir(caller);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await Promise.all([store.download(manifest, dir), this.options.packages(caller).restore()]);
    await session.warm();
    const report = await restore(session, { dir, manifest });
    await rm(dir, { recursive: true, force: true });
    const count = report.restored.length;
    const notes = [
      `Restored ${count} variable(s) from the checkpoint of ${manifest.createdAt} (this kernel is new; the session moved here or the kernel was replaced).`,
    ];
    if (report.failed.length > 0) {
      notes.push(`Not restored: ${report.failed.map((f) => `${f.name} (${f.reason})`).join("; ")}.`);
    }
    if (report.imports.failed.length > 0) {
      notes.push(
        `Imports not restored: ${report.imports.failed.map((f) => `${f.alias} (${f.reason})`).join("; ")}.`,
      );
    }
    notes.push(...report.notes);
    if (manifest.notes.length > 0) notes.push(`Not in the checkpoint: ${manifest.notes.join("; ")}.`);
    for (const note of notes) session.announce(note);
    this.held.set(caller, {
      version: lease.version,
      kernelId: session.status().kernelId,
      manifest,
      notes: manifest.notes.join("; "),
    });
    this.options.log?.("session restored", {
      caller,
      version: lease.version,
      variables: count,
      failed: report.failed.length,
      durationMs: Math.round(performance.now() - started),
    });
  }

  private async finish(
    caller: string,
    session: KernelSession,
    lease: Lease<StoredPointer>,
    before: { mutations: number; restarts: number },
    clearsState: boolean,
  ): Promise<void> {
    try {
      if (session.mutations === before.mutations || lease.lost) return;
      if (session.status().restarts !== before.restarts && !clearsState) {
        // The kernel was restarted without being asked (a timed-out cell that ignored the
        // interrupt): keep the last checkpoint, which the next call restores, rather than record
        // the empty kernel over it.
        this.held.delete(caller);
        session.announce(
          "The kernel was restarted without being asked to, so the session kept its last checkpoint rather than the empty kernel, and restored it here.",
        );
        return;
      }
      const status = session.status();
      if (status.kernelId === null) return;
      await this.save(caller, session, lease);
    } catch (err) {
      this.options.log?.("checkpoint failed", { caller, error: (err as Error).message });
      session.announce(
        `The last checkpoint failed (${(err as Error).message}); if this session moves to another server, it resumes from the one before.`,
      );
    } finally {
      await lease.release();
    }
  }

  private async save(caller: string, session: KernelSession, lease: Lease<StoredPointer>): Promise<void> {
    const started = performance.now();
    const mine = this.held.get(caller);
    const dir = this.options.scratchDir(caller);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const delta = await checkpoint(session, {
      dir,
      maxVariableBytes: this.options.maxVariableBytes,
      ...(mine?.manifest && mine.kernelId === session.status().kernelId
        ? { previous: mine.manifest.variables }
        : {}),
    });
    const notes = [
      ...delta.skipped.map((s) => `${s.name} (${s.reason})`),
      ...delta.unpicklable.map((u) => `${u.name} (${u.type}: cannot be pickled: ${u.reason})`),
    ];
    const manifest: CheckpointManifest = {
      format: 1,
      caller,
      version: lease.version + 1,
      createdAt: new Date().toISOString(),
      executionCount: delta.executionCount,
      cwd: delta.cwd,
      imports: delta.imports,
      sysPath: delta.sysPath,
      variables: delta.variables,
      notes,
    };
    await this.options.packages(caller).sync();
    const pointer = await this.options.store.save(manifest, delta.written, dir);
    await lease.commit({ version: manifest.version, checkpoint: { ...pointer } });
    await Promise.all(delta.written.map((sha) => rm(path.join(dir, `${sha}.pkl`), { force: true })));
    const joined = notes.join("; ");
    if (joined !== "" && joined !== mine?.notes) session.announce(`Not checkpointed: ${joined}.`);
    this.held.set(caller, {
      version: manifest.version,
      kernelId: session.status().kernelId,
      manifest,
      notes: joined,
    });
    if (mine?.manifest) {
      void this.options.store
        .prune(mine.manifest, manifest)
        .catch((err: unknown) =>
          this.options.log?.("checkpoint prune failed", { error: (err as Error).message }),
        );
    }
    this.options.log?.("session checkpointed", {
      caller,
      version: manifest.version,
      written: delta.written.length,
      durationMs: Math.round(performance.now() - started),
    });
  }
}
