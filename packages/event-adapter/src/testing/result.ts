import type { Context } from "aws-lambda";
import type { LambdaHttpResult } from "../types.js";

/**
 * Turns a Lambda HTTP result back into a Fetch Response, the way the front door would send it:
 * base64 bodies decoded, `cookies[]` and multi-value Set-Cookie as separate Set-Cookie headers.
 * (`statusDescription` is dropped: Fetch does not keep reason phrases in a constructed Response.)
 */
export function resultToResponse(result: LambdaHttpResult): Response {
  const headers = new Headers();
  const r = result as {
    statusCode?: number;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    cookies?: string[];
    body?: string;
    isBase64Encoded?: boolean;
  };
  const multi = r.multiValueHeaders ?? {};
  const multiNames = new Set(Object.keys(multi).map((n) => n.toLowerCase()));
  for (const [name, values] of Object.entries(multi)) for (const v of values) headers.append(name, String(v));
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    if (!multiNames.has(name.toLowerCase())) headers.append(name, String(value));
  }
  for (const cookie of r.cookies ?? []) headers.append("set-cookie", cookie);
  const status = r.statusCode ?? 200;
  const bytes = r.isBase64Encoded ? Buffer.from(r.body ?? "", "base64") : Buffer.from(r.body ?? "", "utf8");
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : new Uint8Array(bytes), { status, headers });
}

/** A Lambda `Context` good enough for handler tests. */
export function lambdaContext(overrides: Partial<Context> = {}): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "jupyter-mcp",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:jupyter-mcp",
    memoryLimitInMB: "2048",
    awsRequestId: "8f5e3c1a-0d6b-4c2e-9f7a-1b2c3d4e5f60",
    logGroupName: "/aws/lambda/jupyter-mcp",
    logStreamName: "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}
