import {
  MalformedEventError,
  UnsupportedEventError,
  detectEventKind,
  isKeepWarm,
  parseKeepWarm,
  toFetchRequest,
  toLambdaResult,
} from "../src/index.js";
import {
  albEvent,
  functionUrlEvent,
  httpApiV2Event,
  restApiV1Event,
  scheduledRuleEvent,
  schedulerWarmerEvent,
  warmupPluginEvent,
} from "../src/testing/index.js";

describe("detectEventKind", () => {
  it("names every supported family", () => {
    expect(detectEventKind(httpApiV2Event())).toBe("http-api-v2");
    expect(detectEventKind(functionUrlEvent())).toBe("function-url");
    expect(detectEventKind(restApiV1Event())).toBe("rest-api-v1");
    expect(detectEventKind(albEvent())).toBe("alb");
    expect(detectEventKind(albEvent({ multiValueHeaders: true }))).toBe("alb");
    expect(detectEventKind(scheduledRuleEvent())).toBe("keep-warm");
    expect(detectEventKind(schedulerWarmerEvent())).toBe("keep-warm");
    expect(detectEventKind(warmupPluginEvent())).toBe("keep-warm");
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["a string", "GET /"],
    ["an array", [httpApiV2Event()]],
    ["an empty object", {}],
    ["an S3 notification", { Records: [{ eventSource: "aws:s3" }] }],
    ["another EventBridge event", { "detail-type": "Object Created", source: "aws.s3", detail: {} }],
    ["a warmer flag that is not true", { warmer: "yes" }],
    ["v2 without requestContext.http", { version: "2.0", rawPath: "/", requestContext: {} }],
    ["v1 without requestContext", { httpMethod: "GET", path: "/" }],
  ])("answers unknown for %s", (_name, event) => {
    expect(detectEventKind(event)).toBe("unknown");
  });

  it("survives an event whose getters throw", () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("boom");
        },
        has() {
          throw new Error("boom");
        },
      },
    );
    expect(detectEventKind(hostile)).toBe("unknown");
  });
});

describe("unsupported events", () => {
  it("toFetchRequest throws a typed error naming the supported shapes", () => {
    let error: unknown;
    try {
      toFetchRequest({ Records: [], secret: "do-not-echo" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedEventError);
    const err = error as UnsupportedEventError;
    expect(err.code).toBe("UNSUPPORTED_EVENT");
    expect(err.name).toBe("UnsupportedEventError");
    for (const word of ["HTTP API", "Function URL", "REST API", "Load Balancer", "keep-warm"]) {
      expect(err.message).toContain(word);
    }
    expect(err.message).toContain("[Records, secret]");
    expect(err.message).not.toContain("do-not-echo");
  });

  it("a keep-warm ping is not an HTTP request", async () => {
    expect(() => toFetchRequest(scheduledRuleEvent())).toThrow(/keep-warm ping carries no HTTP request/);
    await expect(toLambdaResult(new Response("x"), schedulerWarmerEvent())).rejects.toBeInstanceOf(
      UnsupportedEventError,
    );
  });

  it("toLambdaResult rejects an unknown event", async () => {
    await expect(toLambdaResult(new Response("x"), { nope: true })).rejects.toBeInstanceOf(
      UnsupportedEventError,
    );
  });

  it("a supported shape with an unusable method is a MalformedEventError", () => {
    expect(() => toFetchRequest(httpApiV2Event({ method: "GET POST" }))).toThrow(MalformedEventError);
    expect(() => toFetchRequest(restApiV1Event({ method: "TRACE" }))).toThrow(MalformedEventError);
  });
});

describe("keep-warm pings", () => {
  it("EventBridge scheduled rule", () => {
    const ping = parseKeepWarm(scheduledRuleEvent({ ruleName: "warm" }));
    expect(ping).toEqual({
      kind: "keep-warm",
      source: "eventbridge-rule",
      concurrency: 1,
      resource: "arn:aws:events:us-east-1:123456789012:rule/warm",
      time: "2026-11-25T13:00:00Z",
    });
  });

  it("EventBridge Scheduler with our payload, with and without concurrency", () => {
    expect(parseKeepWarm(schedulerWarmerEvent())).toEqual({
      kind: "keep-warm",
      source: "eventbridge-scheduler",
      concurrency: 1,
    });
    expect(parseKeepWarm(schedulerWarmerEvent({ concurrency: 4 }))?.concurrency).toBe(4);
    expect(parseKeepWarm({ warmer: true, concurrency: "3" })?.concurrency).toBe(3);
    for (const bad of [0, -2, 1.5, "x", null, Number.MAX_VALUE]) {
      expect(parseKeepWarm({ warmer: true, concurrency: bad })?.concurrency).toBe(1);
    }
  });

  it("serverless-plugin-warmup", () => {
    expect(parseKeepWarm(warmupPluginEvent())).toEqual({
      kind: "keep-warm",
      source: "serverless-plugin-warmup",
      concurrency: 1,
    });
  });

  it("HTTP events are not pings, even with a warmer-looking body", () => {
    expect(isKeepWarm(httpApiV2Event({ method: "POST", body: '{"warmer":true}' }))).toBe(false);
    expect(isKeepWarm({ warmer: true, requestContext: {} })).toBe(false);
    expect(isKeepWarm(null)).toBe(false);
    expect(isKeepWarm({ "detail-type": "Scheduled Event", source: "custom.app" })).toBe(false);
  });
});
