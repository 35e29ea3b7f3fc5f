// The one HTTP client every figure goes through, ours and the original's alike: a plain keep-alive
// HTTP/1.1 connection (as curl or an MCP client's HTTP stack would hold), one request at a time.
// undici's fetch would add about half a millisecond per call in this process, to both sides.
// Calls go out as 2025-era requests (plain JSON-RPC, what curl and 2025 clients send) or, with
// `era: MODERN`, as 2026-07-28 requests (per-request `_meta` and Mcp-* headers, no initialize).
import { Agent, request as httpRequest } from "node:http";

export const ACCEPT = "application/json, text/event-stream";

/** The protocol revision whose requests carry everything in `_meta` (no initialize, no session). */
export const MODERN = "2026-07-28";
const CLIENT_INFO = { name: "jupyter-mcp-bench", version: "1" };

/** A 2025-era tools/call (plain JSON-RPC, as curl would send it). */
export function toolCall(id, code, name = "execute_code") {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: { code } },
  });
}

/** The same call as a 2026-07-28 request: protocol version, client info and capabilities in `_meta`. */
export function modernToolCall(id, code, name = "execute_code") {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: {
      name,
      arguments: { code },
      _meta: {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
        "io.modelcontextprotocol/clientCapabilities": {},
      },
    },
  });
}

/** The headers a 2026-07-28 request repeats from its body (the server checks they agree). */
export const modernHeaders = (method, name) => ({
  "mcp-protocol-version": MODERN,
  "mcp-method": method,
  ...(name ? { "mcp-name": name } : {}),
});

/** The JSON-RPC message in a response body, whether it came as JSON or as one SSE event. */
export function parseRpc(text) {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return JSON.parse(trimmed);
  const data = trimmed
    .split("\n")
    .filter((l) => l.startsWith("data:"))
    .map((l) => l.slice(5).trim())
    .join("");
  if (!data) throw new Error(`not a JSON-RPC response: ${text.slice(0, 200)}`);
  return JSON.parse(data);
}

/** The text content of a tools/call result; throws on a JSON-RPC or tool error. */
export function resultText(msg) {
  if (msg.error) throw new Error(`JSON-RPC error: ${JSON.stringify(msg.error).slice(0, 300)}`);
  const result = msg.result ?? {};
  const text = (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text ?? "")
    .join("\n");
  if (result.isError) throw new Error(`tool error: ${text.slice(0, 300)}`);
  return text;
}

/** `1+1` must come back as 2 (alone on a line, or as the value of an Out[n]). */
export function expectTwo(msg) {
  const text = resultText(msg);
  if (!/(^|\s|:)2\s*$/m.test(text)) throw new Error(`unexpected answer to 1+1: ${text.slice(0, 200)}`);
  return text;
}

/**
 * A keep-alive client for one MCP URL, with an optional bearer token. `era: MODERN` sends every
 * call as a 2026-07-28 request (`_meta` and the Mcp-* headers); otherwise as a 2025-era one.
 */
export function keepAliveClient(url, { token, timeoutMs = 120_000, era } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { "content-type": "application/json", accept: ACCEPT };
  if (token) headers.authorization = `Bearer ${token}`;
  let id = 0;
  const modern = era === MODERN;
  const callHeaders = modern ? { ...headers, ...modernHeaders("tools/call", "execute_code") } : headers;
  const post = (payload, withHeaders = headers) =>
    new Promise((resolve, reject) => {
      const options = { method: "POST", headers: withHeaders, agent, timeout: timeoutMs };
      const req = httpRequest(url, options, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(text)
            : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`)),
        );
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  return {
    post,
    /** One execute_code call; resolves with the parsed JSON-RPC message. */
    async execute(code) {
      const payload = modern ? modernToolCall(++id, code) : toolCall(++id, code);
      return parseRpc(await post(payload, callHeaders));
    },
    close: () => agent.destroy(),
  };
}
