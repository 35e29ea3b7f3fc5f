/**
 * A kernel's lifecycle as one explicit state machine. Every transition the session may make is in
 * TRANSITIONS; anything else is a bug and throws, so an impossible state cannot be reached quietly.
 *
 *   not_started ─start→ starting ─ready→ idle ─run→ busy ─done→ idle
 *                           │              │         │ interrupt→ interrupting ─done→ idle
 *                           │ failed       │ restart  │ restart               │ restart
 *                           v              v          v                       v
 *                         dead  <─died─  restarting ─ready→ idle     (restart collapses: one at a time)
 *   any live state ─died→ dead ─start→ starting        │ failed → dead
 *   any state ─stop→ stopping ─stopped→ stopped ─start→ starting
 */
export type KernelState =
  | "not_started"
  | "starting"
  | "idle"
  | "busy"
  | "interrupting"
  | "restarting"
  | "stopping"
  | "stopped"
  | "dead";

export type KernelEvent =
  "start" | "ready" | "failed" | "run" | "done" | "interrupt" | "restart" | "died" | "stop" | "stopped";

const TRANSITIONS: Record<KernelState, Partial<Record<KernelEvent, KernelState>>> = {
  not_started: { start: "starting", stop: "stopped" },
  starting: { ready: "idle", failed: "dead", died: "dead", stop: "stopping" },
  idle: { run: "busy", restart: "restarting", died: "dead", stop: "stopping" },
  busy: { done: "idle", interrupt: "interrupting", restart: "restarting", died: "dead", stop: "stopping" },
  interrupting: { done: "idle", restart: "restarting", died: "dead", stop: "stopping" },
  // A restart ends with a fresh kernel or a failure; "died" here is the old kernel going, ignored.
  restarting: { ready: "idle", failed: "dead", stop: "stopping" },
  stopping: { stopped: "stopped" },
  stopped: { start: "starting", stop: "stopped" },
  dead: { start: "starting", stop: "stopped", restart: "restarting" },
};

/** States with a kernel process that can take requests (or is about to). */
const LIVE: ReadonlySet<KernelState> = new Set(["idle", "busy", "interrupting"]);

export class InvalidTransitionError extends Error {
  override name = "InvalidTransitionError";
}

export interface Transition {
  from: KernelState;
  event: KernelEvent;
  to: KernelState;
  at: number;
}

export class KernelLifecycle {
  private current: KernelState = "not_started";
  private readonly listeners: ((t: Transition) => void)[] = [];
  /** When the state last changed, for status and idle shutdown. */
  changedAt = Date.now();

  get state(): KernelState {
    return this.current;
  }

  get live(): boolean {
    return LIVE.has(this.current);
  }

  /** Whether `event` is allowed now; lets callers pick a path without try/catch. */
  can(event: KernelEvent): boolean {
    return TRANSITIONS[this.current][event] !== undefined;
  }

  /** Applies `event`; throws InvalidTransitionError when the table does not allow it. */
  fire(event: KernelEvent): KernelState {
    const from = this.current;
    const to = TRANSITIONS[from][event];
    if (to === undefined) {
      throw new InvalidTransitionError(`kernel lifecycle: "${event}" is not allowed in state ${from}`);
    }
    this.current = to;
    this.changedAt = Date.now();
    const transition = { from, event, to, at: this.changedAt };
    for (const listener of this.listeners) listener(transition);
    return to;
  }

  /** Applies `event` when allowed; returns whether it was. For events that may race (died, done). */
  tryFire(event: KernelEvent): boolean {
    if (!this.can(event)) return false;
    this.fire(event);
    return true;
  }

  onTransition(listener: (t: Transition) => void): void {
    this.listeners.push(listener);
  }
}
