// A local implementation of the AWS Lambda Runtime API, the HTTP contract between Lambda and a
// function's runtime (here: aws-lambda-ric inside the image), for tests and benchmarks.
// Contract: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
//
//   GET  /2018-06-01/runtime/invocation/next            long-poll; the event is the body, with
//        Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms (epoch ms),
//        Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id (+ Client-Context and
//        Cognito-Identity when given)
//   POST /2018-06-01/runtime/invocation/{id}/response   202 {"status":"OK"}; 413 above 6 MB
//        with Lambda-Runtime-Function-Response-Mode: streaming, a chunked body (prelude and
//        chunks as the function writes them; a failure mid-stream in the trailers
//        Lambda-Runtime-Function-Error-Type / -Body)
//        https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming
//   POST /2018-06-01/runtime/invocation/{id}/error      202; Lambda-Runtime-Function-Error-Type
//   POST /2018-06-01/runtime/init/error                 202; the function failed to initialize
//
// Like Lambda, one invocation is in flight at a time (one execution environment = one request).
// Usage:
//   const api = await RuntimeApi.start();                 // 127.0.0.1:<free port>
//   env.AWS_LAMBDA_RUNTIME_API = api.address;             // "127.0.0.1:PORT"
//   const r = await api.invoke(event, { timeoutMs: 30000 });  // { ok, payload | error, ... }
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import { setTimeout, clearTimeout } from "node:timers";

const PREFIX = "/2018-06-01/runtime";
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024; // synchronous invocation payload quota
// Streamed responses: 20 MB by default (Lambda's response streaming quota; larger on request).
const MAX_STREAMED_RESPONSE_BYTES = 20 * 1024 * 1024;

export class RuntimeApi extends EventEmitter {
  /** @param {{ host?: string, port?: number, functionName?: string, region?: string, accountId?: string }} [opts] */
  static async start(opts = {}) {
    const api = new RuntimeApi(opts);
    await api.#listen(opts.host ?? "127.0.0.1", opts.port ?? 0);
    return api;
  }

  #server;
  #queue = []; // invocations waiting for a GET /next
  #waiters = []; // GET /next responses waiting for an invocation
  #inflight = new Map(); // requestId -> invocation
  #opts;
  /** Set when the runtime posts /init/error: { errorType, body }. */
  initError = undefined;
  /** Times (epoch ms) of each GET /next, to tell when the runtime became ready. */
  nextPolls = [];

  constructor(opts) {
    super();
    this.#opts = {
      functionName: opts.functionName ?? "jupyter-mcp-test",
      region: opts.region ?? "us-east-1",
      accountId: opts.accountId ?? "123456789012",
    };
  }

  get address() {
    const a = this.#server.address();
    return `${a.address}:${a.port}`;
  }

  get functionArn() {
    const o = this.#opts;
    return `arn:aws:lambda:${o.region}:${o.accountId}:function:${o.functionName}`;
  }

  /**
   * Queue one invocation; resolves when the runtime posts its response or error (or on timeout,
   * which rejects: on Lambda the environment would be torn down).
   * @returns {Promise<{ ok: boolean, requestId: string, payload?: unknown, error?: unknown, errorType?: string, raw: string, durationMs: number }>}
   */
  invoke(event, { timeoutMs = 60_000, clientContext, cognitoIdentity } = {}) {
    const requestId = randomUUID();
    return new Promise((resolvePromise, reject) => {
      const inv = {
        requestId,
        body: Buffer.from(JSON.stringify(event)),
        deadline: Date.now() + timeoutMs,
        queuedAt: Date.now(),
        clientContext,
        cognitoIdentity,
        settle: (result) => {
          clearTimeout(inv.timer);
          this.#inflight.delete(requestId);
          resolvePromise({ ...result, requestId, durationMs: Date.now() - inv.queuedAt });
        },
      };
      inv.timer = setTimeout(() => {
        this.#inflight.delete(requestId);
        this.#queue = this.#queue.filter((q) => q !== inv);
        reject(new Error(`runtime-api: invocation ${requestId} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      inv.timer.unref?.();
      this.#queue.push(inv);
      this.#dispatch();
    });
  }

  /** Resolves at the first GET /next (the runtime finished init), or rejects on /init/error. */
  ready({ timeoutMs = 60_000 } = {}) {
    if (this.nextPolls.length) return Promise.resolve(this.nextPolls[0]);
    if (this.initError) return Promise.reject(new Error(`init error: ${this.initError.body}`));
    return new Promise((res, rej) => {
      const t = setTimeout(
        () => rej(new Error(`runtime-api: no GET /next within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.once("next", (at) => (clearTimeout(t), res(at)));
      this.once("init-error", (e) => (clearTimeout(t), rej(new Error(`init error: ${e.body}`))));
    });
  }

  async close() {
    for (const w of this.#waiters) w.destroy();
    this.#waiters = [];
    const closed = new Promise((r) => this.#server.close(() => r()));
    this.#server.closeAllConnections?.();
    await closed;
  }

  #dispatch() {
    while (this.#queue.length && this.#waiters.length) {
      const inv = this.#queue.shift();
      const res = this.#waiters.shift();
      if (res.destroyed || res.writableEnded) {
        this.#queue.unshift(inv);
        continue;
      }
      this.#inflight.set(inv.requestId, inv);
      inv.dispatchedAt = Date.now();
      const headers = {
        "Content-Type": "application/json",
        "Lambda-Runtime-Aws-Request-Id": inv.requestId,
        "Lambda-Runtime-Deadline-Ms": String(inv.deadline),
        "Lambda-Runtime-Invoked-Function-Arn": this.functionArn,
        "Lambda-Runtime-Trace-Id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, "").slice(0, 24)};Parent=${randomUUID().replace(/-/g, "").slice(0, 16)};Sampled=0`,
      };
      if (inv.clientContext) headers["Lambda-Runtime-Client-Context"] = JSON.stringify(inv.clientContext);
      if (inv.cognitoIdentity)
        headers["Lambda-Runtime-Cognito-Identity"] = JSON.stringify(inv.cognitoIdentity);
      res.writeHead(200, headers);
      res.end(inv.body);
    }
  }

  #listen(host, port) {
    this.#server = createServer((req, res) => this.#route(req, res));
    this.#server.keepAliveTimeout = 0; // the next long-poll may wait for minutes
    this.#server.requestTimeout = 0;
    this.#server.headersTimeout = 0;
    return new Promise((res, rej) => {
      this.#server.once("error", rej);
      this.#server.listen(port, host, () => res());
    });
  }

  #route(req, res) {
    const url = new URL(req.url, "http://runtime");
    const path = url.pathname;
    const json = (status, obj) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(obj));
    };
    if (req.method === "GET" && path === `${PREFIX}/invocation/next`) {
      const at = Date.now();
      this.nextPolls.push(at);
      this.emit("next", at);
      res.socket?.setTimeout(0);
      this.#waiters.push(res);
      res.on("close", () => (this.#waiters = this.#waiters.filter((w) => w !== res)));
      this.#dispatch();
      return;
    }
    if (req.method !== "POST")
      return json(405, { errorMessage: "method not allowed", errorType: "MethodNotAllowed" });

    const chunks = [];
    let size = 0;
    // Streaming responses (Lambda-Runtime-Function-Response-Mode: streaming) arrive as a chunked
    // body; each chunk's arrival is kept, in ms since the event was handed out, so a test can tell
    // a response that streamed from one posted whole at the end.
    const streaming = req.headers["lambda-runtime-function-response-mode"] === "streaming";
    const limit = streaming ? MAX_STREAMED_RESPONSE_BYTES : MAX_RESPONSE_BYTES;
    const started = this.#inflight.get(decodeURIComponent(/invocation\/([^/]+)\//.exec(path)?.[1] ?? ""));
    const arrivals = [];
    req.on("data", (c) => {
      size += c.length;
      if (size <= limit + 1) chunks.push(c);
      if (streaming)
        arrivals.push({ atMs: Date.now() - (started?.dispatchedAt ?? Date.now()), bytes: c.length });
    });
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      // A streamed response reports a failure mid-stream in HTTP trailers, not in a header.
      const errorType =
        req.headers["lambda-runtime-function-error-type"] ??
        req.trailers["lambda-runtime-function-error-type"];
      if (path === `${PREFIX}/init/error`) {
        this.initError = { errorType, body: raw };
        this.emit("init-error", this.initError);
        return json(202, { status: "OK" });
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
      if (!m) return json(404, { errorMessage: `unknown path ${path}`, errorType: "NotFound" });
      const inv = this.#inflight.get(decodeURIComponent(m[1]));
      if (!inv)
        return json(400, { errorMessage: "unknown or finished request id", errorType: "InvalidRequestID" });
      if (m[2] === "response") {
        if (size > limit) {
          inv.settle({ ok: false, errorType: "Function.ResponseSizeTooLarge", error: { size }, raw: "" });
          return json(413, {
            errorMessage: "Exceeded maximum allowed payload size (6291556 bytes).",
            errorType: "RequestEntityTooLarge",
          });
        }
        let payload;
        try {
          payload = raw === "" ? null : JSON.parse(raw);
        } catch {
          payload = raw;
        }
        // "streaming" when the handler was wrapped in awslambda.streamifyResponse (the body then
        // arrives chunked: `arrivals` says when each chunk came).
        if (!streaming) return (inv.settle({ ok: true, payload, raw }), json(202, { status: "OK" }));
        const failed = errorType !== undefined;
        inv.settle({
          ok: !failed,
          payload,
          raw,
          responseMode: "streaming",
          arrivals,
          ...(failed ? { errorType, error: req.trailers["lambda-runtime-function-error-body"] } : {}),
        });
      } else {
        let error;
        try {
          error = JSON.parse(raw);
        } catch {
          error = raw;
        }
        inv.settle({ ok: false, error, errorType, raw });
      }
      json(202, { status: "OK" });
    });
  }
}
