/**
 * Application Load Balancer targets, with and without multi-value headers.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
 */
import { STATUS_CODES } from "node:http";
import type { ALBEvent, ALBResult } from "aws-lambda";
import { decodeEventBody } from "../body.js";
import {
  HOP_BY_HOP,
  findHeader,
  findMultiHeader,
  headersFromEvent,
  multiValueHeaders,
  singleValueHeaders,
} from "../headers.js";
import { buildRequest } from "../request.js";
import { readResponse } from "../response.js";
import type { ToRequestOptions } from "../types.js";
import { queryFromParameters, rawPathToUrlPath } from "../url.js";
import { isObject } from "./shared.js";

/** True for an ALB event (`requestContext.elb`). */
export function isAlbEvent(event: unknown): event is ALBEvent {
  return (
    isObject(event) &&
    isObject(event.requestContext) &&
    isObject(event.requestContext.elb) &&
    typeof event.httpMethod === "string"
  );
}

/** True when the target group has multi-value headers on: the event carries `multiValueHeaders`. */
export function albUsesMultiValue(event: ALBEvent): boolean {
  return isObject(event.multiValueHeaders) || isObject(event.multiValueQueryStringParameters);
}

export function albToRequest(event: ALBEvent, options: ToRequestOptions = {}): Request {
  const headers = headersFromEvent(event.headers, event.multiValueHeaders);
  const host = findMultiHeader(event.multiValueHeaders, "host") ?? findHeader(event.headers, "host");
  return buildRequest(
    {
      method: event.httpMethod,
      // ALB passes the path and the query parameters as the client sent them, still URL-encoded
      // ("If the query parameters are URL-encoded, the load balancer does not decode them"), so they
      // are reassembled without encoding again.
      path: rawPathToUrlPath(event.path),
      query: queryFromParameters(event.queryStringParameters, event.multiValueQueryStringParameters, true),
      headers,
      body: decodeEventBody(event.body, event.isBase64Encoded),
      host,
      fallbackHost: undefined,
      // ALB appends the client address to x-forwarded-for itself and has no request id.
      sourceIp: undefined,
      requestId: undefined,
    },
    options,
  );
}

/** "200 OK": the status line text ALB requires in `statusDescription`. */
export function statusDescription(status: number, statusText?: string): string {
  const text = STATUS_CODES[status] ?? (statusText || "Unknown");
  return `${status} ${text}`;
}

/**
 * ALB result. With multi-value headers on, every header goes in `multiValueHeaders` (one entry per
 * Set-Cookie). Without, `headers` can hold one value per name: several Set-Cookie values cannot be
 * expressed (joining them with commas corrupts cookies with an Expires date), so only the last is kept.
 */
export async function toAlbResult(response: Response, multiValue: boolean): Promise<ALBResult> {
  const parts = await readResponse(response);
  const result: ALBResult = {
    statusCode: parts.status,
    statusDescription: statusDescription(parts.status, response.statusText),
    body: parts.body,
    isBase64Encoded: parts.isBase64Encoded,
  };
  if (multiValue) {
    result.multiValueHeaders = multiValueHeaders(parts.headers, HOP_BY_HOP);
  } else {
    const headers: Record<string, string> = singleValueHeaders(parts.headers, HOP_BY_HOP);
    const cookies = parts.headers.getSetCookie();
    const last = cookies[cookies.length - 1];
    if (last !== undefined) headers["set-cookie"] = last;
    result.headers = headers;
  }
  return result;
}
