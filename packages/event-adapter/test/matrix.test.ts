/**
 * One matrix: the same requests through every front door. Each scenario is a RequestSpec plus what the
 * app must see, and (for the response half) a Response plus what the client must get back.
 */
import { detectEventKind, toFetchRequest, toLambdaResult, type LambdaHttpResult } from "../src/index.js";
import {
  DEFAULT_REQUEST_ID,
  DEFAULT_SOURCE_IP,
  HTTP_EVENT_SHAPES,
  eventFor,
  resultToResponse,
  type HttpEventShape,
  type RequestSpec,
} from "../src/testing/index.js";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x80, 0x7f]);

interface RequestScenario {
  name: string;
  spec: RequestSpec;
  method: string;
  pathname: string;
  search?: Record<string, string[]>;
  cookie?: string;
  body?: Uint8Array;
  headers?: Record<string, string>;
}

const requests: RequestScenario[] = [
  {
    name: "POST JSON body",
    spec: {
      method: "POST",
      path: "/mcp",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"é":"ü"}}',
    },
    method: "POST",
    pathname: "/mcp",
    body: new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"é":"ü"}}'),
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
  },
  { name: "GET health", spec: { path: "/health" }, method: "GET", pathname: "/health" },
  {
    name: "base64 body",
    spec: { method: "PUT", path: "/upload", headers: { "content-type": "image/png" }, body: PNG },
    method: "PUT",
    pathname: "/upload",
    body: PNG,
  },
  {
    name: "text body sent base64 anyway",
    spec: {
      method: "POST",
      path: "/mcp",
      headers: { "content-type": "text/plain" },
      body: "héllo",
      base64: true,
    },
    method: "POST",
    pathname: "/mcp",
    body: new TextEncoder().encode("héllo"),
  },
  {
    name: "stage in path",
    spec: { path: "/mcp", stage: "prod" },
    method: "GET",
    pathname: "/mcp",
  },
  {
    name: "cookies",
    spec: { path: "/health", cookies: ["session=abc", "theme=dark"] },
    method: "GET",
    pathname: "/health",
    cookie: "session=abc; theme=dark",
  },
  {
    name: "query strings",
    spec: { path: "/search", query: "q=hello%20world&tag=a&tag=b&plus=1%2B1&empty=&amp=%26x" },
    method: "GET",
    pathname: "/search",
    search: { q: ["hello world"], plus: ["1+1"], empty: [""], amp: ["&x"] },
  },
  {
    name: "percent-encoded path",
    spec: { path: "/files/a%20b" },
    method: "GET",
    pathname: "/files/a%20b",
  },
];

/** Shapes where repeated query keys keep every value (ALB single-value keeps only the last). */
const keepsRepeats: Record<HttpEventShape, "all" | "joined" | "last"> = {
  "http-api-v2": "all",
  "function-url": "all",
  "rest-api-v1": "all",
  alb: "last",
  "alb-multi": "all",
};

describe.each(HTTP_EVENT_SHAPES)("request matrix through %s", (shape) => {
  it.each(requests)("$name", async (sc) => {
    const event = eventFor(shape, sc.spec);
    expect(detectEventKind(event)).toBe(shape.startsWith("alb") ? "alb" : shape);
    const request = toFetchRequest(event, { requestId: "lambda-ctx-id" });
    const url = new URL(request.url);
    expect(request.method).toBe(sc.method);
    expect(url.protocol).toBe("https:");
    expect(url.pathname).toBe(sc.pathname);
    for (const [key, values] of Object.entries(sc.search ?? {})) {
      expect(url.searchParams.getAll(key)).toEqual(values);
    }
    if (sc.name === "query strings") {
      const tags = url.searchParams.getAll("tag");
      expect(tags).toEqual(keepsRepeats[shape] === "last" ? ["b"] : ["a", "b"]);
    }
    expect(request.headers.get("cookie")).toBe(sc.cookie ?? null);
    for (const [name, value] of Object.entries(sc.headers ?? {}))
      expect(request.headers.get(name)).toBe(value);
    const bytes = new Uint8Array(await request.arrayBuffer());
    expect(Buffer.from(bytes).equals(Buffer.from(sc.body ?? new Uint8Array(0)))).toBe(true);
    // source IP is the last x-forwarded-for entry; the request id is the event's, else the option's
    expect(request.headers.get("x-forwarded-for")?.split(",").pop()?.trim()).toBe(DEFAULT_SOURCE_IP);
    expect(request.headers.get("x-request-id")).toBe(
      shape.startsWith("alb") ? "lambda-ctx-id" : DEFAULT_REQUEST_ID,
    );
    expect(url.host).toMatch(/amazonaws\.com$|on\.aws$/);
  });
});

interface ResponseScenario {
  name: string;
  response: () => Response;
  status: number;
  base64: boolean;
  body: Uint8Array;
  setCookies?: string[];
  contentType?: string;
}

const enc = (s: string) => new TextEncoder().encode(s);

const responses: ResponseScenario[] = [
  {
    name: "JSON",
    response: () => Response.json({ jsonrpc: "2.0", id: 1, result: { ok: "✓" } }),
    status: 200,
    base64: false,
    body: enc('{"jsonrpc":"2.0","id":1,"result":{"ok":"✓"}}'),
    contentType: "application/json",
  },
  {
    name: "binary response",
    response: () => new Response(PNG, { headers: { "content-type": "image/png" } }),
    status: 200,
    base64: true,
    body: PNG,
    contentType: "image/png",
  },
  {
    name: "multi Set-Cookie",
    response: () => {
      const headers = new Headers({ "content-type": "text/plain" });
      headers.append("set-cookie", "a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
      headers.append("set-cookie", "b=2; HttpOnly");
      return new Response("ok", { status: 201, headers });
    },
    status: 201,
    base64: false,
    body: enc("ok"),
    setCookies: ["a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "b=2; HttpOnly"],
  },
  {
    name: "SSE response stays text",
    response: () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(enc('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'));
            controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } },
      ),
    status: 200,
    base64: false,
    body: enc('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'),
    contentType: "text/event-stream",
  },
  {
    name: "empty 204",
    response: () => new Response(null, { status: 204 }),
    status: 204,
    base64: false,
    body: new Uint8Array(0),
  },
  {
    name: "405 with Allow",
    response: () => new Response("Method Not Allowed", { status: 405, headers: { allow: "POST" } }),
    status: 405,
    base64: false,
    body: enc("Method Not Allowed"),
  },
];

describe.each(HTTP_EVENT_SHAPES)("response matrix through %s", (shape) => {
  it.each(responses)("$name", async (sc) => {
    const event = eventFor(shape, { method: "POST", path: "/mcp" });
    const result = (await toLambdaResult(sc.response(), event)) as LambdaHttpResult;
    expect(result.statusCode).toBe(sc.status);
    expect(result.isBase64Encoded).toBe(sc.base64);
    if (shape.startsWith("alb")) {
      expect((result as { statusDescription?: string }).statusDescription).toMatch(
        new RegExp(`^${sc.status} \\S`),
      );
    }
    // the shape matches the event: v2 uses cookies[], v1 both maps, ALB one of the two
    if (shape === "http-api-v2" || shape === "function-url") {
      expect(result).not.toHaveProperty("multiValueHeaders");
      if (sc.setCookies) expect((result as { cookies?: string[] }).cookies).toEqual(sc.setCookies);
    }
    if (shape === "rest-api-v1") {
      expect(result).toHaveProperty("multiValueHeaders");
      expect(result).toHaveProperty("headers");
    }
    if (shape === "alb") expect(result).not.toHaveProperty("multiValueHeaders");
    if (shape === "alb-multi") expect(result).not.toHaveProperty("headers");

    const back = resultToResponse(result);
    expect(back.status).toBe(sc.status);
    if (sc.contentType) expect(back.headers.get("content-type")).toContain(sc.contentType);
    const bytes = new Uint8Array(await back.arrayBuffer());
    expect(Buffer.from(bytes).equals(Buffer.from(sc.body))).toBe(true);
    if (sc.setCookies) {
      // ALB without multi-value headers can carry only one Set-Cookie (documented limitation)
      const expected = shape === "alb" ? sc.setCookies.slice(-1) : sc.setCookies;
      expect(back.headers.getSetCookie()).toEqual(expected);
    }
  });
});
