import { ServerConnection } from "@jupyterlab/services";
import WebSocket from "ws";
import type { JupyterEndpoint } from "../../jupyter/server-process.js";

/**
 * How we reach a Jupyter server with @jupyterlab/services. The library has no timeouts of its own:
 * a fetch or a websocket handshake to a hung server waits forever. Every request it makes goes
 * through `settings.fetch` and every socket through `settings.WebSocket`, so bounding those two
 * bounds everything, including the requests the library makes by itself (kernel model on close).
 */
export function serverSettingsFor(
  endpoint: JupyterEndpoint,
  requestTimeoutMs: number,
): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: endpoint.baseUrl,
    wsUrl: endpoint.wsUrl,
    token: endpoint.token,
    // REST requests send it as an Authorization header; so does our websocket (below), which keeps
    // it out of URLs, and so out of proxy and server access logs.
    appendToken: false,
    fetch: boundedFetch({ timeoutMs: requestTimeoutMs }),
    WebSocket: boundedWebSocket(requestTimeoutMs, endpoint.token),
  });
}

/** The same server settings with each request cut off after `timeoutMs`. */
export function withRequestTimeout(
  settings: ServerConnection.ISettings,
  timeoutMs: number,
): ServerConnection.ISettings {
  return { ...settings, fetch: boundedFetch({ timeoutMs }) };
}

/** The same server settings with every request cut off when `signal` aborts (one shared deadline). */
export function withAbortSignal(
  settings: ServerConnection.ISettings,
  signal: AbortSignal,
): ServerConnection.ISettings {
  return { ...settings, fetch: boundedFetch({ signal }) };
}

function boundedFetch(bound: {
  timeoutMs?: number;
  signal?: AbortSignal;
}): ServerConnection.ISettings["fetch"] {
  return async (input, init) => {
    // AbortSignal.timeout's timer is unref'd: an abandoned request never holds the process open.
    const signals = bound.timeoutMs === undefined ? [] : [AbortSignal.timeout(bound.timeoutMs)];
    if (bound.signal) signals.push(bound.signal);
    try {
      const response = await fetch(input, { ...init, signal: AbortSignal.any(signals) });
      return response.ok ? response : await withoutTraceback(response);
    } catch (err) {
      // The library rewraps this as a NetworkError with our message and drops `cause`: put it in.
      throw new TypeError(fetchFailure(err, bound.timeoutMs));
    }
  };
}

/**
 * A Jupyter server's error answer carries the whole Python traceback, which the library prints raw
 * through console.error (many lines on stderr). Keep its last line in the message, drop the rest.
 */
async function withoutTraceback(response: Response): Promise<Response> {
  if (!response.headers.get("content-type")?.includes("json")) return response;
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  const body = await response.text();
  let data: { message?: unknown; traceback?: unknown };
  try {
    data = JSON.parse(body) as typeof data;
  } catch {
    return new Response(body, init);
  }
  const traceback = Array.isArray(data.traceback) ? data.traceback.join("") : data.traceback;
  if (typeof traceback !== "string" || traceback.trim() === "") return new Response(body, init);
  const lastLine = traceback.trim().split("\n").at(-1)?.trim();
  const message = `${typeof data.message === "string" ? data.message : "error"} (${lastLine})`;
  return new Response(JSON.stringify({ ...data, message, traceback: undefined }), init);
}

function fetchFailure(err: unknown, timeoutMs: number | undefined): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  if (e.name === "AbortError") return "no answer before the deadline";
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? "fetch failed"} (${cause})` : (e.message ?? String(err));
}

function boundedWebSocket(handshakeTimeoutMs: number, token: string): typeof globalThis.WebSocket {
  const headers = token ? { Authorization: `token ${token}` } : {};
  // The library calls `new settings.WebSocket(url, protocols)`; `ws` takes its options third.
  class BoundedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { handshakeTimeout: handshakeTimeoutMs, headers });
    }
  }
  return BoundedWebSocket as unknown as typeof globalThis.WebSocket;
}

/** A server URL fit for logs and error messages: no user:password@, no ?token=. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return stripCredentials(url);
  }
}

/** Removes URL credentials and token parameters from free text (error messages that quote a URL). */
export function stripCredentials(text: string): string {
  return text.replace(/\/\/[^/@\s]+@/g, "//").replace(/([?&]token=)[^&\s"']+/gi, "$1[redacted]");
}
