/** The specific traps other adapters fell into (see README "Prior art"), one test each. */
import type { ALBResult, APIGatewayProxyResult } from "aws-lambda";
import { isTextContentType, statusDescription, toFetchRequest, toLambdaResult } from "../src/index.js";
import { albEvent, functionUrlEvent, httpApiV2Event, restApiV1Event } from "../src/testing/index.js";

describe("stage and base path", () => {
  it("strips a named HTTP API stage from rawPath on the execute-api domain", () => {
    const event = httpApiV2Event({ path: "/mcp", stage: "prod" });
    expect(event.rawPath).toBe("/prod/mcp");
    expect(new URL(toFetchRequest(event).url).pathname).toBe("/mcp");
    expect(new URL(toFetchRequest(httpApiV2Event({ path: "/", stage: "prod" })).url).pathname).toBe("/");
  });

  it("leaves $default alone and does not strip a look-alike segment", () => {
    expect(new URL(toFetchRequest(httpApiV2Event({ path: "/prod/mcp" })).url).pathname).toBe("/prod/mcp");
    const event = httpApiV2Event({ path: "/production/mcp", stage: "prod" });
    expect(new URL(toFetchRequest(event).url).pathname).toBe("/production/mcp");
  });

  it("does not strip on a custom domain (the API mapping already removed the stage) unless told to", () => {
    const event = httpApiV2Event({ path: "/mcp", stage: "mcp", host: "api.example.com" });
    event.rawPath = "/mcp"; // custom domain: no stage in the path
    expect(new URL(toFetchRequest(event).url).pathname).toBe("/mcp");
    expect(new URL(toFetchRequest(event, { stripStage: true }).url).pathname).toBe("/");
    const named = httpApiV2Event({ path: "/mcp", stage: "prod" });
    expect(new URL(toFetchRequest(named, { stripStage: false }).url).pathname).toBe("/prod/mcp");
  });

  it("strips an HTTP API payload 1.0 stage, but never a REST API path (which has none)", () => {
    const v1 = restApiV1Event({ path: "/prod/mcp", stage: "prod" });
    expect(new URL(toFetchRequest(v1).url).pathname).toBe("/prod/mcp");
    const httpApiV1 = { ...restApiV1Event({ path: "/prod/mcp", stage: "prod" }), version: "1.0" };
    expect(new URL(toFetchRequest(httpApiV1).url).pathname).toBe("/mcp");
  });

  it("strips a configured basePath at a segment boundary only", () => {
    const opts = { basePath: "/jupyter/" };
    expect(new URL(toFetchRequest(httpApiV2Event({ path: "/jupyter/mcp" }), opts).url).pathname).toBe("/mcp");
    expect(new URL(toFetchRequest(albEvent({ path: "/jupyter" }), opts).url).pathname).toBe("/");
    expect(new URL(toFetchRequest(albEvent({ path: "/jupyterx/mcp" }), opts).url).pathname).toBe(
      "/jupyterx/mcp",
    );
    const staged = httpApiV2Event({ path: "/jupyter/health", stage: "dev" });
    expect(new URL(toFetchRequest(staged, opts).url).pathname).toBe("/health");
  });

  it("a path starting with // stays on our host", () => {
    const request = toFetchRequest(httpApiV2Event({ path: "//evil.example/x" }));
    expect(new URL(request.url).host).toBe("r3pmxmplak.execute-api.us-east-1.amazonaws.com");
  });

  it("a decoded REST path with ? and # does not leak into the query", () => {
    const event = restApiV1Event({ path: "/files/a%3Fb%23c", query: "x=1" });
    expect(event.path).toBe("/files/a?b#c");
    const url = new URL(toFetchRequest(event).url);
    expect(decodeURIComponent(url.pathname)).toBe("/files/a?b#c");
    expect(url.search).toBe("?x=1");
  });
});

describe("cookies", () => {
  it("Function URL: cookies in both header and cookies[] are not doubled", () => {
    const event = functionUrlEvent({ cookies: ["a=1", "b=2"] });
    expect(event.headers.cookie).toBe("a=1; b=2");
    expect(event.cookies).toEqual(["a=1", "b=2"]);
    expect(toFetchRequest(event).headers.get("cookie")).toBe("a=1; b=2");
  });

  it("HTTP API: cookies[] alone become the Cookie header; extra header cookies are kept once", () => {
    const event = httpApiV2Event({ cookies: ["a=1"] });
    expect(event.headers.cookie).toBeUndefined();
    expect(toFetchRequest(event).headers.get("cookie")).toBe("a=1");
    event.headers.cookie = "z=9; a=1";
    expect(toFetchRequest(event).headers.get("cookie")).toBe("z=9; a=1");
  });

  it("ALB multi-value cookie list is joined with '; ', not ', '", () => {
    const request = toFetchRequest(albEvent({ multiValueHeaders: true, cookies: ["a=1", "b=2"] }));
    expect(request.headers.get("cookie")).toBe("a=1; b=2");
  });
});

describe("query strings", () => {
  it("ALB hands over values still URL-encoded: they are not encoded twice", () => {
    const event = albEvent({ query: "q=hello%20world&k%5B0%5D=%E2%9C%93&p=a+b" });
    expect(event.queryStringParameters).toEqual({ q: "hello%20world", "k%5B0%5D": "%E2%9C%93", p: "a+b" });
    const url = new URL(toFetchRequest(event).url);
    expect(url.searchParams.get("q")).toBe("hello world");
    expect(url.searchParams.get("k[0]")).toBe("✓");
    expect(url.searchParams.get("p")).toBe("a b");
  });

  it("ALB test events written with plain values still work", () => {
    const event = albEvent();
    event.queryStringParameters = { q: "a b" };
    expect(new URL(toFetchRequest(event).url).searchParams.get("q")).toBe("a b");
  });

  it("REST API decoded values are encoded once; multi-value wins over single", () => {
    const event = restApiV1Event({ query: { q: "a&b=c", tag: ["x", "y"] } });
    expect(event.queryStringParameters).toEqual({ q: "a&b=c", tag: "y" });
    const url = new URL(toFetchRequest(event).url);
    expect(url.searchParams.get("q")).toBe("a&b=c");
    expect(url.searchParams.getAll("tag")).toEqual(["x", "y"]);
  });

  it("HTTP API rawQueryString is used verbatim", () => {
    const url = new URL(toFetchRequest(httpApiV2Event({ query: "a=1&a=2&b=%2F" })).url);
    expect(url.search).toBe("?a=1&a=2&b=%2F");
  });
});

describe("request metadata", () => {
  it("appends the requestContext source IP to an x-forwarded-for chain that lacks it", () => {
    const event = httpApiV2Event({ sourceIp: "198.51.100.9" });
    event.headers["x-forwarded-for"] = "10.0.0.1";
    expect(toFetchRequest(event).headers.get("x-forwarded-for")).toBe("10.0.0.1, 198.51.100.9");
  });

  it("overwrites a client-sent x-request-id with the event's request id", () => {
    const event = restApiV1Event({ requestId: "apigw-id", headers: { "X-Request-Id": "spoofed" } });
    expect(toFetchRequest(event, { requestId: "ctx" }).headers.get("x-request-id")).toBe("apigw-id");
  });

  it("falls back to requestContext.domainName, then localhost, for a missing or bad Host", () => {
    const event = httpApiV2Event();
    delete event.headers.host;
    expect(new URL(toFetchRequest(event).url).host).toBe(event.requestContext.domainName);
    const alb = albEvent({ headers: { host: "bad host/with@stuff" } });
    expect(new URL(toFetchRequest(alb).url).host).toBe("localhost");
  });

  it("finds Host in multi-value-only events whatever its case", () => {
    const event = restApiV1Event({ host: "api.example.com" });
    (event as { headers: unknown }).headers = null;
    expect(new URL(toFetchRequest(event).url).host).toBe("api.example.com");
    const alb = albEvent({ multiValueHeaders: true, host: "alb.example.com" });
    expect(new URL(toFetchRequest(alb).url).host).toBe("alb.example.com");
  });

  it("drops header names HTTP cannot carry and strips CR/LF from values", () => {
    const event = httpApiV2Event();
    event.headers["bad name"] = "x";
    event.headers["x-ok"] = "line1\r\nInjected: yes";
    event.headers["x-utf8"] = "café";
    const headers = toFetchRequest(event).headers;
    expect([...headers.keys()].some((name) => name.includes(" "))).toBe(false);
    expect(headers.get("x-ok")).toBe("line1Injected: yes");
    expect(Buffer.from(headers.get("x-utf8") ?? "", "latin1").toString("utf8")).toBe("café");
  });

  it("GET and HEAD bodies are dropped (Fetch forbids them)", async () => {
    const request = toFetchRequest(httpApiV2Event({ method: "GET", body: "ignored" }));
    expect(request.body).toBeNull();
  });
});

describe("response bodies", () => {
  it.each([
    ["text/event-stream", true],
    ["text/html; charset=utf-8", true],
    ["application/json", true],
    ["application/problem+json", true],
    ["application/xml", true],
    ["application/atom+xml", true],
    ["application/javascript", true],
    ["image/svg+xml", true],
    ["image/png", false],
    ["application/octet-stream", false],
    ["application/zip", false],
    ["application/jsonx", false],
    ["", false],
  ])("%s is text: %s", (type, text) => {
    expect(isTextContentType(type)).toBe(text);
  });

  it("text that is not valid UTF-8, another charset, or content-encoded goes base64", async () => {
    const event = httpApiV2Event();
    const bad = new Uint8Array([0x61, 0xff, 0x62]);
    const variants: Array<Record<string, string>> = [
      { "content-type": "text/plain" },
      { "content-type": "text/plain; charset=iso-8859-1" },
      { "content-type": "application/json", "content-encoding": "gzip" },
    ];
    for (const headers of variants) {
      const result = await toLambdaResult(new Response(bad, { headers }), event);
      expect(result.isBase64Encoded).toBe(true);
      expect(Buffer.from(result.body ?? "", "base64").equals(Buffer.from(bad))).toBe(true);
    }
  });

  it("drops hop-by-hop headers from results", async () => {
    const result = (await toLambdaResult(
      new Response("x", { headers: { connection: "keep-alive", "x-keep": "1" } }),
      restApiV1Event(),
    )) as APIGatewayProxyResult;
    expect(result.headers).toEqual({ "content-type": "text/plain;charset=UTF-8", "x-keep": "1" });
  });

  it("ALB statusDescription uses the standard reason phrase", async () => {
    expect(statusDescription(200)).toBe("200 OK");
    expect(statusDescription(404)).toBe("404 Not Found");
    expect(statusDescription(599, "Custom")).toBe("599 Custom");
    const result = (await toLambdaResult(new Response(null, { status: 502 }), albEvent())) as ALBResult;
    expect(result.statusDescription).toBe("502 Bad Gateway");
  });
});

describe("streamingPrelude", () => {
  test("status and headers once each; every Set-Cookie kept apart as cookies", async () => {
    const { streamingPrelude } = await import("../src/index.js");
    const headers = new Headers({ "content-type": "text/event-stream", "cache-control": "no-cache" });
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2; Path=/");
    const prelude = streamingPrelude(new Response("x", { status: 202, headers }));
    expect(prelude).toEqual({
      statusCode: 202,
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      cookies: ["a=1; Path=/", "b=2; Path=/"],
    });
    expect(streamingPrelude(new Response(null, { status: 204 }))).toEqual({ statusCode: 204, headers: {} });
  });
});
