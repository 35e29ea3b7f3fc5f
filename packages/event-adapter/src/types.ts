import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
} from "aws-lambda";

/** What `detectEventKind` answers. */
export type EventKind = "http-api-v2" | "function-url" | "rest-api-v1" | "alb" | "keep-warm" | "unknown";

/** The HTTP event kinds, i.e. the ones that become a Fetch Request. */
export type HttpEventKind = Exclude<EventKind, "keep-warm" | "unknown">;

/** Any HTTP event this adapter accepts. Function URL events share the HTTP API 2.0 type. */
export type LambdaHttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent | ALBEvent;

/** Any result this adapter produces; the member matches the event that came in. */
export type LambdaHttpResult = APIGatewayProxyStructuredResultV2 | APIGatewayProxyResult | ALBResult;

/** Maps an event type to the result type Lambda expects back for it. */
export type ResultFor<E> = E extends ALBEvent
  ? ALBResult
  : E extends APIGatewayProxyEventV2
    ? APIGatewayProxyStructuredResultV2
    : E extends APIGatewayProxyEvent
      ? APIGatewayProxyResult
      : LambdaHttpResult;

export interface ToRequestOptions {
  /**
   * A path prefix to remove before the app sees the path, e.g. "/api" turns "/api/mcp" into "/mcp".
   * Removed only at a segment boundary; "/api" does not touch "/apix".
   */
  basePath?: string;
  /**
   * Remove a named stage from the front of the path of HTTP API events ("/prod/mcp" with stage "prod").
   * "auto" (default) strips it when the request came through the execute-api domain (where the stage is
   * part of the URL) and leaves custom domains alone (their API mappings already drop it).
   * `$default` is never stripped: it is never in the path.
   */
  stripStage?: boolean | "auto";
  /**
   * A request id to use when the event has none (ALB events carry none): pass the Lambda
   * `context.awsRequestId`.
   */
  requestId?: string;
}

/** Internal: the normalised pieces every event family reduces to before a Request is built. */
export interface RequestParts {
  method: string;
  /** URL path, already in URL-encoded form, starting with "/". */
  path: string;
  /** Query string without "?", already in URL-encoded form. */
  query: string;
  headers: Headers;
  body: Uint8Array<ArrayBuffer> | undefined;
  host: string | undefined;
  fallbackHost: string | undefined;
  sourceIp: string | undefined;
  requestId: string | undefined;
}
