/**
 * @jupyter-mcp/event-adapter: AWS Lambda HTTP events to Web Fetch `Request`, Fetch `Response` back to
 * the result shape of the event that came in, and keep-warm pings recognised without any HTTP.
 */
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { UnsupportedEventError, describeShape } from "./errors.js";
import { albToRequest, albUsesMultiValue, isAlbEvent, toAlbResult } from "./events/alb.js";
import {
  httpApiV2ToRequest,
  isFunctionUrlEvent,
  isHttpApiV2Event,
  toHttpApiV2Result,
} from "./events/http-api-v2.js";
import { parseKeepWarm } from "./events/keep-warm.js";
import { isRestApiV1Event, restApiV1ToRequest, toRestApiV1Result } from "./events/rest-api-v1.js";
import type { EventKind, LambdaHttpResult, ResultFor, ToRequestOptions } from "./types.js";

export { UnsupportedEventError, MalformedEventError, SUPPORTED_EVENTS_DESCRIPTION } from "./errors.js";
export { isKeepWarm, parseKeepWarm, type KeepWarmPing, type KeepWarmSource } from "./events/keep-warm.js";
export { REQUEST_ID_HEADER, SOURCE_IP_HEADER } from "./headers.js";
export { isTextContentType } from "./body.js";
export { streamingPrelude, type StreamingPrelude } from "./streaming.js";
export { statusDescription } from "./events/alb.js";
export type {
  EventKind,
  HttpEventKind,
  LambdaHttpEvent,
  LambdaHttpResult,
  ResultFor,
  ToRequestOptions,
} from "./types.js";

/** Says which event family an event belongs to. Never throws. */
export function detectEventKind(event: unknown): EventKind {
  try {
    if (parseKeepWarm(event)) return "keep-warm";
    if (isAlbEvent(event)) return "alb";
    if (isHttpApiV2Event(event)) return isFunctionUrlEvent(event) ? "function-url" : "http-api-v2";
    if (isRestApiV1Event(event)) return "rest-api-v1";
  } catch {
    // a getter or proxy that throws: not an event we know
  }
  return "unknown";
}

function unsupported(event: unknown, kind: EventKind): UnsupportedEventError {
  return new UnsupportedEventError(
    describeShape(event),
    kind === "keep-warm"
      ? "a keep-warm ping carries no HTTP request; check isKeepWarm(event) first"
      : undefined,
  );
}

/**
 * Turns an HTTP Lambda event into a Fetch Request.
 * @throws UnsupportedEventError for keep-warm pings and events of unknown shape
 * @throws MalformedEventError for a supported shape with an unusable field (e.g. an invalid method)
 */
export function toFetchRequest(event: unknown, options: ToRequestOptions = {}): Request {
  const kind = detectEventKind(event);
  switch (kind) {
    case "http-api-v2":
    case "function-url":
      return httpApiV2ToRequest(event as APIGatewayProxyEventV2, options);
    case "rest-api-v1":
      return restApiV1ToRequest(event as APIGatewayProxyEvent, options);
    case "alb":
      return albToRequest(event as ALBEvent, options);
    default:
      throw unsupported(event, kind);
  }
}

/**
 * Turns a Fetch Response into the result shape Lambda expects for `event` (the event the request came
 * from). Reads the whole body.
 * @throws UnsupportedEventError for keep-warm pings and events of unknown shape
 */
export async function toLambdaResult<E>(response: Response, event: E): Promise<ResultFor<E>> {
  const kind = detectEventKind(event);
  let result: LambdaHttpResult;
  switch (kind) {
    case "http-api-v2":
    case "function-url":
      result = await toHttpApiV2Result(response);
      break;
    case "rest-api-v1":
      result = await toRestApiV1Result(response);
      break;
    case "alb":
      result = await toAlbResult(response, albUsesMultiValue(event as ALBEvent));
      break;
    default:
      throw unsupported(event, kind);
  }
  return result as ResultFor<E>;
}
