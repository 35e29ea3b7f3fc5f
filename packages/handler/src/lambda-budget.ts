import type { EventKind } from "@jupyter-mcp/event-adapter";

/** How long each front door waits for the function, in ms (AWS quotas; ALB uses its idle timeout). */
const FRONT_DOOR_LIMIT_MS: Partial<Record<EventKind, number>> = {
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html (30 s)
  "http-api-v2": 30_000,
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html (29 s by default)
  "rest-api-v1": 29_000,
  // The ALB's default idle timeout; our Fargate module raises it, Lambda behind an ALB rarely needs more.
  alb: 60_000,
};

/** Time kept back to render and return the response before the front door or Lambda gives up. */
export const BUDGET_MARGIN_MS = 1_500;

/** The call's budget: the front door's wait or the Lambda time left, whichever ends first, less a margin. */
export function budgetFor(kind: EventKind, remainingMs: number): number {
  const frontDoor = FRONT_DOOR_LIMIT_MS[kind] ?? Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(frontDoor, remainingMs) - BUDGET_MARGIN_MS);
}
