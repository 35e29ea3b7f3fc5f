import { specTypeSchemas } from "@modelcontextprotocol/server";

const JSONRPCMessageSchema = specTypeSchemas.JSONRPCMessage as unknown as {
  safeParse(value: unknown): { success: boolean };
};

/** Why a body that is valid JSON is no JSON-RPC 2.0 message, and the id to answer with. */
export interface InvalidRequest {
  message: string;
  id: string | number | null;
}

const MEMBERS = new Set(["jsonrpc", "id", "method", "params", "result", "error"]);
const EXAMPLE = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';

/**
 * Checks a parsed body before the MCP transport sees it. The transport answers anything its schema
 * refuses with -32700 "Parse error", which is wrong for valid JSON (JSON-RPC 2.0 says -32600
 * Invalid Request) and does not say what is wrong; this does both. Undefined when the body is fine.
 */
export function invalidJsonRpc(body: unknown): InvalidRequest | undefined {
  if (Array.isArray(body)) {
    if (body.length === 0) {
      return {
        message: `Invalid Request: the body is an empty array; send a request such as ${EXAMPLE}.`,
        id: null,
      };
    }
    for (const [i, item] of body.entries()) {
      const problem = problemOf(item);
      if (problem) return { message: `Invalid Request: batch item ${i}: ${problem}`, id: idOf(item) };
    }
    return undefined;
  }
  const problem = problemOf(body);
  return problem === undefined ? undefined : { message: `Invalid Request: ${problem}`, id: idOf(body) };
}

function problemOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `the message is ${describe(value)}, not a JSON-RPC object such as ${EXAMPLE}.`;
  }
  const message = value as Record<string, unknown>;
  if (![...MEMBERS].some((key) => key in message)) {
    return `the object has no JSON-RPC members; send a request such as ${EXAMPLE}.`;
  }
  if (message.jsonrpc !== "2.0") return `"jsonrpc" must be "2.0" (found ${describe(message.jsonrpc)}).`;
  const extra = Object.keys(message).find((key) => !MEMBERS.has(key));
  if (extra !== undefined) return `unexpected member ${JSON.stringify(extra.slice(0, 64))}.`;
  if ("id" in message && !isId(message.id) && !("error" in message && message.id === null)) {
    return `"id" must be a string or an integer (found ${describe(message.id)}).`;
  }
  if ("method" in message) {
    if (typeof message.method !== "string" || message.method === "") {
      return `"method" must be a non-empty string (found ${describe(message.method)}).`;
    }
    if ("params" in message && !isObject(message.params)) {
      return `"params" must be an object (found ${describe(message.params)}).`;
    }
    if ("result" in message || "error" in message)
      return 'a request has "method", a response "result" or "error"; not both.';
  } else if (!("result" in message) && !("error" in message)) {
    return `a request needs a "method" string, e.g. ${EXAMPLE}.`;
  } else if (!("id" in message) && "result" in message) {
    return 'a response needs the "id" of the request it answers.';
  }
  // Anything else the SDK's schema refuses (e.g. an error object without a code).
  if (!JSONRPCMessageSchema.safeParse(message).success) {
    return "the message is not a valid JSON-RPC 2.0 request, notification or response.";
  }
  return undefined;
}

function isId(value: unknown): value is string | number {
  return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): string | number | null {
  const id = isObject(value) ? (value as { id?: unknown }).id : undefined;
  return isId(id) ? id : null;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}
