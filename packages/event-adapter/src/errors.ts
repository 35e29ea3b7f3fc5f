/** Errors thrown by the adapter. Both carry a stable `code` so callers can map them to a response. */

/** The shapes this adapter understands, in words, for error messages and docs. */
export const SUPPORTED_EVENTS_DESCRIPTION =
  "API Gateway HTTP API (payload 2.0), Lambda Function URL, API Gateway REST API (payload 1.0), " +
  "Application Load Balancer (with or without multi-value headers), or a keep-warm ping " +
  '(EventBridge "Scheduled Event" from aws.events, EventBridge Scheduler {"warmer": true}, ' +
  'or {"source": "serverless-plugin-warmup"})';

/** Describes a value without echoing its contents (events can carry tokens and cookies). */
export function describeShape(event: unknown): string {
  if (event === null) return "null";
  if (Array.isArray(event)) return `an array of length ${event.length}`;
  if (typeof event !== "object") return `a value of type ${typeof event}`;
  const keys = Object.keys(event).slice(0, 12);
  const more = Object.keys(event).length > keys.length ? ", ..." : "";
  return keys.length === 0 ? "an empty object" : `an object with keys [${keys.join(", ")}${more}]`;
}

/** The event is not one of the supported shapes (or is a keep-warm ping where HTTP was needed). */
export class UnsupportedEventError extends Error {
  readonly code = "UNSUPPORTED_EVENT";
  override readonly name = "UnsupportedEventError";
  constructor(
    readonly shape: string,
    detail?: string,
  ) {
    super(
      `Unsupported Lambda event: got ${shape}${detail ? ` (${detail})` : ""}. ` +
        `Supported events: ${SUPPORTED_EVENTS_DESCRIPTION}.`,
    );
  }
}

/** The event has a supported shape but a field that cannot become a Fetch Request (e.g. method "TRACE"). */
export class MalformedEventError extends Error {
  readonly code = "MALFORMED_EVENT";
  override readonly name = "MalformedEventError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
