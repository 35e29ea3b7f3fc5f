/**
 * Property-based tests (fast-check): hostile headers, paths, query strings, bodies and base64 flags never
 * make the adapter throw, and body bytes survive both directions exactly, through every event shape.
 */
import fc from "fast-check";
import { toFetchRequest, toLambdaResult, type LambdaHttpResult } from "../src/index.js";
import { HTTP_EVENT_SHAPES, eventFor, resultToResponse, type HttpEventShape } from "../src/testing/index.js";

const anyString = fc.string({ unit: "binary", maxLength: 40 });
const methods = fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "post");
const shapes = fc.constantFrom<HttpEventShape>(...HTTP_EVENT_SHAPES);

type Mutable = Record<string, unknown>;

/** Overwrites the raw event fields of each family with arbitrary junk. */
function scramble(
  shape: HttpEventShape,
  event: Mutable,
  junk: { headers: Record<string, string>; multi: Record<string, string[]>; path: string; query: string },
) {
  const multiQuery = Object.fromEntries(Object.entries(junk.multi).map(([k, v]) => [k, v]));
  const singleQuery = Object.fromEntries(Object.entries(junk.headers).map(([k, v]) => [v, k]));
  switch (shape) {
    case "http-api-v2":
    case "function-url":
      event.headers = junk.headers;
      event.rawPath = junk.path;
      event.rawQueryString = junk.query;
      event.cookies = Object.values(junk.headers);
      break;
    case "rest-api-v1":
      event.headers = junk.headers;
      event.multiValueHeaders = junk.multi;
      event.path = junk.path;
      event.queryStringParameters = singleQuery;
      event.multiValueQueryStringParameters = multiQuery;
      break;
    case "alb":
      event.headers = junk.headers;
      event.path = junk.path;
      event.queryStringParameters = singleQuery;
      break;
    case "alb-multi":
      event.multiValueHeaders = junk.multi;
      event.path = junk.path;
      event.multiValueQueryStringParameters = multiQuery;
      break;
  }
}

async function bytesOf(body: { arrayBuffer(): Promise<ArrayBuffer> }): Promise<Buffer> {
  return Buffer.from(await body.arrayBuffer());
}

describe("request properties", () => {
  it("random headers, paths, query strings, bodies and base64 flags never throw; body bytes survive", async () => {
    await fc.assert(
      fc.asyncProperty(
        shapes,
        methods,
        fc.dictionary(anyString, anyString, { maxKeys: 8 }),
        fc.dictionary(anyString, fc.array(anyString, { maxLength: 3 }), { maxKeys: 6 }),
        anyString,
        anyString,
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.string({ unit: "grapheme", maxLength: 80 })),
        fc.boolean(),
        fc.option(anyString),
        async (shape, method, headers, multi, path, query, bytes, text, forceBase64, basePath) => {
          // a text body unless `text` is null; otherwise bytes, always base64
          const body = text ?? bytes;
          const event = eventFor(shape, {
            method,
            body,
            base64: text === null ? true : forceBase64,
          }) as unknown as Mutable;
          scramble(shape, event, { headers, multi, path, query });
          const request = toFetchRequest(event, basePath === null ? {} : { basePath });
          expect(new URL(request.url).protocol).toBe("https:");
          const expected =
            method.toUpperCase() === "GET" || method.toUpperCase() === "HEAD"
              ? Buffer.alloc(0)
              : typeof body === "string"
                ? Buffer.from(body, "utf8")
                : Buffer.from(body);
          expect((await bytesOf(request)).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("arbitrary base64 text (valid or not) decodes like Buffer does, never throws", async () => {
    await fc.assert(
      fc.asyncProperty(shapes, anyString, async (shape, junk) => {
        const event = eventFor(shape, { method: "POST", body: "x", base64: true }) as unknown as Mutable;
        event.body = junk;
        const request = toFetchRequest(event);
        expect((await bytesOf(request)).equals(Buffer.from(junk, "base64"))).toBe(true);
      }),
    );
  });

  it("query parameters survive every front door (ALB single-value: last value wins)", async () => {
    const key = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 });
    const value = fc.string({ unit: "grapheme", maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        shapes,
        fc.dictionary(key, fc.array(value, { minLength: 1, maxLength: 3 }), { maxKeys: 5 }),
        async (shape, query) => {
          const url = new URL(toFetchRequest(eventFor(shape, { path: "/q", query })).url);
          for (const [k, values] of Object.entries(query)) {
            const expected = shape === "alb" ? values.slice(-1) : values;
            expect(url.searchParams.getAll(k)).toEqual(expected);
          }
        },
      ),
    );
  });

  it("path segments survive every front door", async () => {
    const segment = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 10 })
      .filter((s) => s !== "." && s !== ".." && !s.includes("/"));
    await fc.assert(
      fc.asyncProperty(shapes, fc.array(segment, { minLength: 1, maxLength: 4 }), async (shape, segments) => {
        const path = "/" + segments.map(encodeURIComponent).join("/");
        const url = new URL(toFetchRequest(eventFor(shape, { path, stage: "dev" })).url);
        expect(url.pathname.split("/").slice(1).map(decodeURIComponent)).toEqual(segments);
      }),
    );
  });
});

describe("response properties", () => {
  const contentTypes = fc.oneof(
    fc.constantFrom(
      "text/event-stream",
      "text/plain; charset=utf-8",
      "text/plain; charset=latin1",
      "application/json",
      "application/vnd.api+json",
      "application/xml",
      "application/octet-stream",
      "image/png",
    ),
    fc.stringMatching(/^[a-z]{1,8}\/[a-z+.-]{1,12}$/),
  );

  it("response body bytes, status and Set-Cookies survive toLambdaResult exactly", async () => {
    await fc.assert(
      fc.asyncProperty(
        shapes,
        fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.string({ unit: "binary", maxLength: 200 })),
        fc.option(contentTypes),
        fc.option(fc.constantFrom("gzip", "br", "identity")),
        fc.integer({ min: 200, max: 599 }).filter((s) => ![204, 205, 304].includes(s)),
        fc.array(fc.stringMatching(/^[a-z]{1,6}=[a-zA-Z0-9]{0,8}(; Path=\/)?$/), { maxLength: 3 }),
        async (shape, payload, contentType, encoding, status, cookies) => {
          const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
          const headers = new Headers();
          if (contentType !== null) headers.set("content-type", contentType);
          if (encoding !== null) headers.set("content-encoding", encoding);
          for (const c of cookies) headers.append("set-cookie", c);
          const event = eventFor(shape, { method: "POST", path: "/mcp" });
          const result = (await toLambdaResult(
            new Response(bytes, { status, headers }),
            event,
          )) as LambdaHttpResult;
          expect(typeof result.body).toBe("string");
          const back = resultToResponse(result);
          expect(back.status).toBe(status);
          expect((await bytesOf(back)).equals(Buffer.from(bytes))).toBe(true);
          expect(back.headers.getSetCookie()).toEqual(shape === "alb" ? cookies.slice(-1) : cookies);
          if (
            typeof payload === "string" &&
            contentType === "text/event-stream" &&
            encoding !== "gzip" &&
            encoding !== "br"
          ) {
            expect(result.isBase64Encoded).toBe(false);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
