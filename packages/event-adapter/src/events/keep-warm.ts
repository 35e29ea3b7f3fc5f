/**
 * Keep-warm pings: invocations that carry no HTTP request and only exist to keep an execution
 * environment (or N of them) warm.
 *
 * - EventBridge scheduled rule: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 *   (event shape: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-scheduled.html)
 * - EventBridge Scheduler with our payload `{"warmer": true, "concurrency": N}` as the target input:
 *   https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
 * - serverless-plugin-warmup: `{"source": "serverless-plugin-warmup"}` (its default payload).
 */
import { isObject } from "./shared.js";

export type KeepWarmSource = "eventbridge-rule" | "eventbridge-scheduler" | "serverless-plugin-warmup";

/** A recognised keep-warm ping. */
export interface KeepWarmPing {
  kind: "keep-warm";
  source: KeepWarmSource;
  /**
   * How many execution environments the sender wants warm (our `concurrency` field); 1 when absent or
   * not a positive integer. The adapter does not cap it; the handler decides what it will honour.
   */
  concurrency: number;
  /** Rule or schedule ARN (EventBridge rules list it in `resources`), when known. */
  resource?: string;
  /** Event time (EventBridge rules), when known. */
  time?: string;
}

function concurrencyOf(value: unknown): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/** Parses a keep-warm ping, or returns undefined for anything else. Never throws. */
export function parseKeepWarm(event: unknown): KeepWarmPing | undefined {
  if (!isObject(event)) return undefined;
  if (event["detail-type"] === "Scheduled Event" && event.source === "aws.events") {
    const resources = Array.isArray(event.resources) ? event.resources : [];
    const ping: KeepWarmPing = { kind: "keep-warm", source: "eventbridge-rule", concurrency: 1 };
    if (typeof resources[0] === "string") ping.resource = resources[0];
    if (typeof event.time === "string") ping.time = event.time;
    if (isObject(event.detail)) ping.concurrency = concurrencyOf(event.detail.concurrency);
    return ping;
  }
  if (event.warmer === true && !("requestContext" in event)) {
    return {
      kind: "keep-warm",
      source: "eventbridge-scheduler",
      concurrency: concurrencyOf(event.concurrency),
    };
  }
  if (event.source === "serverless-plugin-warmup") {
    return {
      kind: "keep-warm",
      source: "serverless-plugin-warmup",
      concurrency: concurrencyOf(event.concurrency),
    };
  }
  return undefined;
}

/** True when the event is a keep-warm ping (no HTTP request inside). */
export function isKeepWarm(event: unknown): boolean {
  return parseKeepWarm(event) !== undefined;
}
