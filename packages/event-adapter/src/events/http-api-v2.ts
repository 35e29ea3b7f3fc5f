/**
 * API Gateway HTTP API, payload format 2.0, and Lambda Function URLs (same schema).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { decodeEventBody } from "../body.js";
import { HOP_BY_HOP, findHeader, headersFromEvent, mergeCookies, singleValueHeaders } from "../headers.js";
import { buildRequest } from "../request.js";
import { readResponse } from "../response.js";
import type { ToRequestOptions } from "../types.js";
import { rawPathToUrlPath, rawQuery, stripPrefix } from "../url.js";
import { isObject, str } from "./shared.js";

/** True for a payload 2.0 event (HTTP API or Function URL). */
export function isHttpApiV2Event(event: unknown): event is APIGatewayProxyEventV2 {
  if (!isObject(event) || !isObject(event.requestContext)) return false;
  const http = event.requestContext.http;
  return typeof event.rawPath === "string" && isObject(http) && typeof http.method === "string";
}

/** True for a Function URL event: payload 2.0 whose domain is `<url-id>.lambda-url.<region>.on.aws`. */
export function isFunctionUrlEvent(event: unknown): event is APIGatewayProxyEventV2 {
  if (!isHttpApiV2Event(event)) return false;
  return (str(event.requestContext.domainName) ?? "").includes(".lambda-url.");
}

/**
 * Whether the stage is part of the URL path. On the execute-api domain a named stage is the first path
 * segment; on a custom domain the API mapping has already removed it.
 */
export function stageInPath(
  stage: string | undefined,
  domainName: string | undefined,
  option: ToRequestOptions["stripStage"],
): string | undefined {
  if (!stage || stage === "$default" || option === false) return undefined;
  if (option === true) return stage;
  return !domainName || domainName.includes(".execute-api.") ? stage : undefined;
}

export function httpApiV2ToRequest(event: APIGatewayProxyEventV2, options: ToRequestOptions = {}): Request {
  const ctx = event.requestContext;
  const headers = headersFromEvent(event.headers, undefined);
  mergeCookies(headers, event.cookies);

  let path = rawPathToUrlPath(event.rawPath);
  const stage = stageInPath(str(ctx.stage), str(ctx.domainName), options.stripStage);
  if (stage) path = stripPrefix(path, `/${stage}`);

  return buildRequest(
    {
      method: ctx.http.method,
      path,
      query: rawQuery(event.rawQueryString),
      headers,
      body: decodeEventBody(event.body, event.isBase64Encoded),
      host: findHeader(event.headers, "host"),
      fallbackHost: str(ctx.domainName),
      sourceIp: str(ctx.http.sourceIp),
      requestId: str(ctx.requestId),
    },
    options,
  );
}

/**
 * Payload 2.0 result: Set-Cookie values go in `cookies[]` (2.0 has no multi-value headers), the other
 * headers comma-joined in `headers`.
 */
export async function toHttpApiV2Result(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const parts = await readResponse(response);
  const result: APIGatewayProxyStructuredResultV2 = {
    statusCode: parts.status,
    headers: singleValueHeaders(parts.headers, HOP_BY_HOP),
    body: parts.body,
    isBase64Encoded: parts.isBase64Encoded,
  };
  const cookies = parts.headers.getSetCookie();
  if (cookies.length > 0) result.cookies = cookies;
  return result;
}
