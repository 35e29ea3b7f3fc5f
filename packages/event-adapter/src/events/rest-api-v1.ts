/**
 * API Gateway REST API proxy integration, payload format 1.0 (also what an HTTP API sends when its
 * integration is set to payload 1.0).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
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
import { decodedPathToUrlPath, queryFromParameters, stripPrefix } from "../url.js";
import { stageInPath } from "./http-api-v2.js";
import { isObject, str } from "./shared.js";

/** True for a payload 1.0 event that is not from an ALB. */
export function isRestApiV1Event(event: unknown): event is APIGatewayProxyEvent {
  if (!isObject(event)) return false;
  if (typeof event.httpMethod !== "string" || typeof event.path !== "string") return false;
  if (isObject(event.requestContext) && "elb" in event.requestContext) return false;
  return isObject(event.requestContext);
}

export function restApiV1ToRequest(event: APIGatewayProxyEvent, options: ToRequestOptions = {}): Request {
  const ctx = isObject(event.requestContext)
    ? event.requestContext
    : ({} as APIGatewayProxyEvent["requestContext"]);
  const headers = headersFromEvent(event.headers, event.multiValueHeaders);

  // `path` is decoded and, for REST APIs, excludes the stage. An HTTP API sending payload 1.0
  // (version "1.0") puts a named stage in front of it, like rawPath in 2.0.
  let path = decodedPathToUrlPath(event.path);
  if ((event as { version?: unknown }).version === "1.0") {
    const stage = stageInPath(str(ctx.stage), str(ctx.domainName), options.stripStage);
    if (stage) path = stripPrefix(path, `/${encodeURIComponent(stage)}`);
  }

  return buildRequest(
    {
      method: event.httpMethod,
      path,
      query: queryFromParameters(event.queryStringParameters, event.multiValueQueryStringParameters, false),
      headers,
      body: decodeEventBody(event.body, event.isBase64Encoded),
      host: findMultiHeader(event.multiValueHeaders, "host") ?? findHeader(event.headers, "host"),
      fallbackHost: str(ctx.domainName),
      sourceIp: isObject(ctx.identity) ? str(ctx.identity.sourceIp) : undefined,
      requestId: str(ctx.requestId),
    },
    options,
  );
}

/**
 * Payload 1.0 result: every header in `multiValueHeaders` (Set-Cookie one entry per cookie) and the
 * single-valued ones also in `headers`; API Gateway merges the two, multi-value entries winning.
 */
export async function toRestApiV1Result(response: Response): Promise<APIGatewayProxyResult> {
  const parts = await readResponse(response);
  return {
    statusCode: parts.status,
    headers: singleValueHeaders(parts.headers, HOP_BY_HOP),
    multiValueHeaders: multiValueHeaders(parts.headers, HOP_BY_HOP),
    body: parts.body,
    isBase64Encoded: parts.isBase64Encoded,
  };
}
