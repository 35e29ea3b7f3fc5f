/**
 * What can go wrong with a session lease, as errors a tool call can show its caller verbatim:
 * each says what happened and what to do, and none names another server or any credential.
 */

/** Another call holds this caller's lease (on another server, or earlier on this one) past the wait. */
export class LeaseBusyError extends Error {
  override readonly name = "LeaseBusyError";

  constructor(
    readonly caller: string,
    /** How long the holder's lease has left, when known: a hint for when to retry. */
    readonly remainingMs: number | undefined,
    readonly waitedMs: number,
    readonly holder: "another-server" | "this-server",
  ) {
    const waited = `${seconds(waitedMs)} s`;
    const left =
      remainingMs === undefined ? "" : ` (its lease has ${seconds(Math.max(0, remainingMs))} s left)`;
    super(
      holder === "another-server"
        ? `Another server is running a call for this caller right now${left}; waited ${waited}. Retry in a few seconds.`
        : `Another call for this caller is still running on this server; waited ${waited}. Retry when it has finished.`,
    );
  }
}

/**
 * The lease was taken over while this server held it (it expired, for example while a frozen
 * Lambda environment could not renew it), so nothing this server ran since may be recorded.
 */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";

  constructor(readonly caller: string) {
    super(
      "This call's session lease expired while the call ran and another server took it over, so this " +
        "server's changes were not recorded; the next call will restore the last good checkpoint.",
    );
  }
}

/** A commit expected a version the table no longer holds: someone committed in between. */
export class VersionConflictError extends Error {
  override readonly name = "VersionConflictError";

  constructor(
    readonly caller: string,
    readonly expectedVersion: number,
    readonly storedVersion: number,
  ) {
    super(
      `The session checkpoint was not recorded: the table holds version ${storedVersion}, but this ` +
        `server expected version ${expectedVersion}, so another server's checkpoint would have been ` +
        "overwritten. The next call will restore the latest checkpoint.",
    );
  }
}

/** The session table could not be used: unreachable, throttled, missing, forbidden or malformed. */
export class SessionTableError extends Error {
  override readonly name = "SessionTableError";

  constructor(
    message: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
