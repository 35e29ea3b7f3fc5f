/**
 * Event factories modelled on the events AWS documents. Each builds the event AWS would deliver for the
 * request described by a `RequestSpec`, so tests can push "the same request" through every front door.
 */
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, EventBridgeEvent } from "aws-lambda";
import {
  DEFAULT_REQUEST_ID,
  DEFAULT_SOURCE_IP,
  FIXED_EPOCH,
  FIXED_TIME,
  bodyOf,
  headerEntries,
  methodOf,
  multiQuery,
  pathOf,
  queryPairs,
  rawQueryOf,
  singleQuery,
  type RequestSpec,
} from "./spec.js";

export const HTTP_API_ID = "r3pmxmplak";
export const FUNCTION_URL_ID = "abcdefghijklmnopqrstuvwxyz0123";
export const REST_API_ID = "1234567890";
export const ACCOUNT_ID = "123456789012";
export const REGION = "us-east-1";
export const TARGET_GROUP_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:targetgroup/lambda-mcp/6d0ecf831eec9f09`;

/** Cookie pairs from `spec.cookies` and any Cookie header in `spec.headers`. */
function cookiePairs(spec: RequestSpec): string[] {
  const fromHeader = headerEntries(spec, true)
    .filter(([name]) => name === "cookie")
    .flatMap(([, values]) => values.flatMap((v) => v.split(";").map((s) => s.trim())))
    .filter((s) => s !== "");
  return [...fromHeader, ...(spec.cookies ?? [])];
}

/** v2 headers: lower-case names, repeated values comma-joined, no Cookie (that goes in `cookies[]`). */
function v2Headers(spec: RequestSpec, host: string, keepCookieHeader: boolean): Record<string, string> {
  const headers = new Map<string, string>([
    ["accept", "*/*"],
    ["content-length", String(bodyBytes(spec))],
    ["host", host],
    ["user-agent", "curl/8.5.0"],
    ["x-amzn-trace-id", "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e"],
    ["x-forwarded-for", spec.sourceIp ?? DEFAULT_SOURCE_IP],
    ["x-forwarded-port", "443"],
    ["x-forwarded-proto", "https"],
  ]);
  for (const [name, values] of headerEntries(spec, true)) {
    if (name === "cookie") continue;
    headers.set(name, values.join(","));
  }
  const cookies = cookiePairs(spec);
  if (keepCookieHeader && cookies.length > 0) headers.set("cookie", cookies.join("; "));
  return Object.fromEntries(headers);
}

function bodyBytes(spec: RequestSpec): number {
  const b = spec.body;
  if (b === undefined) return 0;
  return typeof b === "string" ? Buffer.byteLength(b, "utf8") : b.byteLength;
}

function v2Event(spec: RequestSpec, functionUrl: boolean): APIGatewayProxyEventV2 {
  const method = methodOf(spec);
  const stage = functionUrl ? "$default" : (spec.stage ?? "$default");
  const routePath = pathOf(spec);
  const rawPath = stage === "$default" ? routePath : `/${stage}${routePath}`;
  const domainName =
    spec.host ??
    (functionUrl
      ? `${FUNCTION_URL_ID}.lambda-url.${REGION}.on.aws`
      : `${HTTP_API_ID}.execute-api.${REGION}.amazonaws.com`);
  const pairs = queryPairs(spec, true);
  const cookies = cookiePairs(spec);
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: functionUrl ? "$default" : "ANY /{proxy+}",
    rawPath,
    rawQueryString: rawQueryOf(spec),
    headers: v2Headers(spec, domainName, functionUrl),
    requestContext: {
      accountId: functionUrl ? "anonymous" : ACCOUNT_ID,
      apiId: functionUrl ? FUNCTION_URL_ID : HTTP_API_ID,
      domainName,
      domainPrefix: domainName.split(".")[0] ?? "",
      http: {
        method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: spec.sourceIp ?? DEFAULT_SOURCE_IP,
        userAgent: "curl/8.5.0",
      },
      requestId: spec.requestId ?? DEFAULT_REQUEST_ID,
      routeKey: functionUrl ? "$default" : "ANY /{proxy+}",
      stage,
      time: FIXED_TIME,
      timeEpoch: FIXED_EPOCH,
    },
    isBase64Encoded: false,
  };
  if (cookies.length > 0) event.cookies = cookies;
  const single = singleQuery(pairs, "comma");
  if (single) event.queryStringParameters = single;
  if (!functionUrl) event.pathParameters = { proxy: routePath.slice(1) };
  const { body, isBase64Encoded } = bodyOf(spec, true);
  if (body !== null) event.body = body;
  event.isBase64Encoded = isBase64Encoded;
  return event;
}

/**
 * API Gateway HTTP API, payload format 2.0. A named `stage` is prefixed to rawPath, as on the
 * execute-api domain; Cookie headers arrive only in `cookies[]`.
 * Shape: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function httpApiV2Event(spec: RequestSpec = {}): APIGatewayProxyEventV2 {
  return v2Event(spec, false);
}

/**
 * Lambda Function URL request (payload 2.0 schema, domain `<url-id>.lambda-url.<region>.on.aws`).
 * Cookies arrive both in the Cookie header and in `cookies[]`, as Function URLs deliver them.
 * Shape: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
export function functionUrlEvent(spec: RequestSpec = {}): APIGatewayProxyEventV2 {
  return v2Event(spec, true);
}

/**
 * API Gateway REST API proxy integration (payload 1.0): `headers` + `multiValueHeaders`, decoded query
 * parameters (single: last value wins; multi: all), `path` without the stage.
 * Shape: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 * (section "Input format of a Lambda function for proxy integration")
 */
export function restApiV1Event(spec: RequestSpec = {}): APIGatewayProxyEvent {
  const method = methodOf(spec);
  const path = pathOf(spec);
  const stage = spec.stage ?? "prod";
  const host = spec.host ?? `${REST_API_ID}.execute-api.${REGION}.amazonaws.com`;
  const sourceIp = spec.sourceIp ?? DEFAULT_SOURCE_IP;
  const entries = new Map<string, [string, string[]]>([
    ["accept", ["Accept", ["*/*"]]],
    ["host", ["Host", [host]]],
    ["user-agent", ["User-Agent", ["curl/8.5.0"]]],
    ["x-amzn-trace-id", ["X-Amzn-Trace-Id", ["Root=1-5e66d96f-7491f09xmpl79d18acf3d050"]]],
    ["x-forwarded-for", ["X-Forwarded-For", [sourceIp]]],
    ["x-forwarded-port", ["X-Forwarded-Port", ["443"]]],
    ["x-forwarded-proto", ["X-Forwarded-Proto", ["https"]]],
  ]);
  for (const [name, values] of headerEntries(spec, false)) {
    if (name.toLowerCase() === "cookie") continue;
    entries.set(name.toLowerCase(), [name, values]);
  }
  const cookies = cookiePairs(spec);
  if (cookies.length > 0) entries.set("cookie", ["Cookie", [cookies.join("; ")]]);
  const multiHeaders: Record<string, string[]> = Object.fromEntries(entries.values());
  const headers: Record<string, string> = Object.fromEntries(
    [...entries.values()].map(([name, values]) => [name, values[values.length - 1] ?? ""]),
  );
  const pairs = queryPairs(spec, true);
  const decodedPath = (() => {
    try {
      return decodeURIComponent(path);
    } catch {
      return path;
    }
  })();
  const { body, isBase64Encoded } = bodyOf(spec, false);
  return {
    resource: "/{proxy+}",
    path: decodedPath,
    httpMethod: method,
    headers,
    multiValueHeaders: multiHeaders,
    queryStringParameters: singleQuery(pairs, "last") ?? null,
    multiValueQueryStringParameters: multiQuery(pairs) ?? null,
    pathParameters: { proxy: decodedPath.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: REST_API_ID,
      authorizer: undefined,
      domainName: host,
      domainPrefix: host.split(".")[0] ?? "",
      extendedRequestId: "lBQ8ZEXAMPLEFew=",
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: "curl/8.5.0",
        userArn: null,
      },
      path: `/${stage}${path}`,
      protocol: "HTTP/1.1",
      requestId: spec.requestId ?? DEFAULT_REQUEST_ID,
      requestTime: FIXED_TIME,
      requestTimeEpoch: FIXED_EPOCH,
      resourceId: "abc123",
      resourcePath: "/{proxy+}",
      stage,
    },
    body,
    isBase64Encoded,
  };
}

export interface AlbSpec extends RequestSpec {
  /** The target group's `lambda.multi_value_headers.enabled` attribute; default false. */
  multiValueHeaders?: boolean;
}

/**
 * Application Load Balancer target event. Query keys/values stay URL-encoded as the client sent them;
 * without multi-value headers the last value of a repeated header or parameter wins.
 * Shape: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
 * (sections "Receive events from the load balancer" and "Multi-value headers")
 */
export function albEvent(spec: AlbSpec = {}): ALBEvent {
  const host = spec.host ?? `lambda-mcp-123456789.${REGION}.elb.amazonaws.com`;
  const entries: Array<[string, string[]]> = [
    ["accept", ["*/*"]],
    ["host", [host]],
    ["user-agent", ["curl/8.5.0"]],
    ["x-amzn-trace-id", ["Root=1-5bdb40ca-556d8b0c50dc66f0511bf520"]],
    ["x-forwarded-for", [spec.sourceIp ?? DEFAULT_SOURCE_IP]],
    ["x-forwarded-port", ["443"]],
    ["x-forwarded-proto", ["https"]],
  ];
  for (const [name, values] of headerEntries(spec, true)) {
    if (name === "cookie") continue;
    const existing = entries.find(([n]) => n === name);
    if (existing) existing[1] = values;
    else entries.push([name, values]);
  }
  const cookies = cookiePairs(spec);
  const pairs = queryPairs(spec, false);
  const { body, isBase64Encoded } = bodyOf(spec, true);
  const event: ALBEvent = {
    requestContext: { elb: { targetGroupArn: TARGET_GROUP_ARN } },
    httpMethod: methodOf(spec),
    path: pathOf(spec),
    body: body ?? "",
    isBase64Encoded,
  };
  if (spec.multiValueHeaders) {
    // "the load balancer uses both cookies sent by the client": one list entry per cookie
    event.multiValueHeaders = Object.fromEntries(
      cookies.length > 0 ? [...entries, ["cookie", cookies]] : entries,
    );
    event.multiValueQueryStringParameters = multiQuery(pairs) ?? {};
  } else {
    const single: Array<[string, string]> = entries.map(([name, values]) => [
      name,
      values[values.length - 1] ?? "",
    ]);
    if (cookies.length > 0) single.push(["cookie", cookies.join("; ")]);
    event.headers = Object.fromEntries(single);
    event.queryStringParameters = singleQuery(pairs, "last") ?? {};
  }
  return event;
}

/**
 * EventBridge scheduled rule ("rate(5 minutes)") targeting the function with the default input.
 * Shape: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-scheduled.html
 * Setup: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export function scheduledRuleEvent(
  opts: { ruleName?: string; time?: string } = {},
): EventBridgeEvent<"Scheduled Event", Record<string, never>> {
  return {
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: ACCOUNT_ID,
    time: opts.time ?? "2026-11-25T13:00:00Z",
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/${opts.ruleName ?? "jupyter-mcp-keep-warm"}`],
    detail: {},
  };
}

/**
 * EventBridge Scheduler invoking the function with our keep-warm payload as the target input
 * (Scheduler passes the input through as the event).
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
 */
export function schedulerWarmerEvent(opts: { concurrency?: number } = {}): {
  warmer: true;
  concurrency?: number;
} {
  return opts.concurrency === undefined ? { warmer: true } : { warmer: true, concurrency: opts.concurrency };
}

/** serverless-plugin-warmup's default payload. */
export function warmupPluginEvent(): { source: "serverless-plugin-warmup" } {
  return { source: "serverless-plugin-warmup" };
}

/** The HTTP front doors, for matrices; "alb-multi" is an ALB target group with multi-value headers on. */
export const HTTP_EVENT_SHAPES = ["http-api-v2", "function-url", "rest-api-v1", "alb", "alb-multi"] as const;
export type HttpEventShape = (typeof HTTP_EVENT_SHAPES)[number];

/** Builds the event `shape` would deliver for `spec`. */
export function eventFor(
  shape: HttpEventShape,
  spec: RequestSpec = {},
): APIGatewayProxyEventV2 | APIGatewayProxyEvent | ALBEvent {
  switch (shape) {
    case "http-api-v2":
      return httpApiV2Event(spec);
    case "function-url":
      return functionUrlEvent(spec);
    case "rest-api-v1":
      return restApiV1Event(spec);
    case "alb":
      return albEvent(spec);
    case "alb-multi":
      return albEvent({ ...spec, multiValueHeaders: true });
  }
}
