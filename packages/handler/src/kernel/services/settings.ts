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
    // The websocket cannot carry an Authorization header from Node's `ws` through the library.
    appendToken: true,
    fetch: boundedFetch({ timeoutMs: requestTimeoutMs }),
    WebSocket: boundedWebSocket(requestTimeoutMs),
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
      return await fetch(input, { ...init, signal: AbortSignal.any(signals) });
    } catch (err) {
      // The library rewraps this as a NetworkError with our message and drops `cause`: put it in.
      throw new TypeError(fetchFailure(err, bound.timeoutMs));
    }
  };
}

function fetchFailure(err: unknown, timeoutMs: number | undefined): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  if (e.name === "AbortError") return "no answer before the deadline";
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? "fetch failed"} (${cause})` : (e.message ?? String(err));
}

function boundedWebSocket(handshakeTimeoutMs: number): typeof globalThis.WebSocket {
  // The library calls `new settings.WebSocket(url, protocols)`; `ws` takes the handshake bound third.
  class BoundedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { handshakeTimeout: handshakeTimeoutMs });
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
