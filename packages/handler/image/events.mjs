// Real Lambda event shapes for the image tests and benchmarks.
// HTTP API (API Gateway v2) payload format 2.0:
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// EventBridge scheduled event (the keep-warm ping):
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
import { randomUUID } from "node:crypto";
import { Buffer } from "node:buffer";

/** An HTTP API v2 event for `method path` with JSON `body` (object) and extra headers. */
export function httpApiV2Event({ method = "GET", path = "/", query = "", headers = {}, body } = {}) {
  const now = new Date();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: query,
    headers: {
      accept: "application/json, text/event-stream",
      "content-length": String(text ? Buffer.byteLength(text) : 0),
      host: "abc123.execute-api.us-east-1.amazonaws.com",
      "user-agent": "jupyter-mcp-image-test",
      "x-amzn-trace-id": "Root=1-67890abc-0123456789abcdef01234567",
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-port": "443",
      "x-forwarded-proto": "https",
      ...(text ? { "content-type": "application/json" } : {}),
      ...lower,
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method,
        path,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: "jupyter-mcp-image-test",
      },
      requestId: randomUUID().slice(0, 18),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(text !== undefined ? { body: text } : {}),
    isBase64Encoded: false,
  };
}

/** An MCP JSON-RPC request over POST /mcp as an HTTP API v2 event. */
export function mcpEvent(method, params, { id = 1, token } = {}) {
  return httpApiV2Event({
    method: "POST",
    path: "/mcp",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      "mcp-protocol-version": "2025-06-18",
    },
    body: { jsonrpc: "2.0", id, method, params },
  });
}

export const initializeParams = {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "jupyter-mcp-image-test", version: "0.0.0" },
};

/** The EventBridge "Scheduled Event" a keep-warm rule sends. */
export function scheduledEvent({ rule = "jupyter-mcp-keep-warm" } = {}) {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    region: "us-east-1",
    resources: [`arn:aws:events:us-east-1:123456789012:rule/${rule}`],
    detail: {},
  };
}

/**
 * The JSON-RPC message(s) in an HTTP API v2 result's body: a JSON body, or the `data:` lines of
 * an SSE body. Returns the last message (the response).
 */
export function jsonRpcFromResult(result) {
  if (!result || typeof result !== "object") throw new Error(`not an HTTP result: ${JSON.stringify(result)}`);
  let body = result.body ?? "";
  if (result.isBase64Encoded) body = Buffer.from(body, "base64").toString("utf8");
  const ct =
    Object.entries(result.headers ?? {}).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "";
  if (String(ct).includes("text/event-stream")) {
    const msgs = body
      .split(/\r?\n/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).trim())
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    if (!msgs.length) throw new Error(`no SSE data in body: ${body.slice(0, 500)}`);
    return msgs[msgs.length - 1];
  }
  return JSON.parse(body);
}
