import { specTypeSchemas, type McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

/**
 * Invalid params, answered before the SDK sees the request. The SDK turns tool arguments that fail
 * the tool's schema into a successful result with isError, and its own request-schema messages are
 * zod's raw issue dump. Both are the caller's mistake: JSON-RPC says -32602 Invalid params, with a
 * message that says which field and what it must be.
 */
export const INVALID_PARAMS = -32602;

/** Anything zod-shaped: our tool schemas and the SDK's request schemas. */
interface Schema {
  safeParse(value: unknown): { success: boolean; error?: { issues: Issue[] } };
}
interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: unknown;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
  options?: unknown[];
  values?: unknown[];
}

const REQUEST_SCHEMAS: Record<string, Schema> = {
  initialize: specTypeSchemas.InitializeRequest as unknown as Schema,
  ping: specTypeSchemas.PingRequest as unknown as Schema,
  "tools/list": specTypeSchemas.ListToolsRequest as unknown as Schema,
  "tools/call": specTypeSchemas.CallToolRequest as unknown as Schema,
};

const toolSchemas = new WeakMap<McpServer, Map<string, Schema>>();

/**
 * Records each tool's input schema as it is registered (call before registering tools). The SDK
 * keeps them private; recording them here keeps us off its internals.
 */
export function recordToolSchemas(server: McpServer): void {
  const schemas = new Map<string, Schema>();
  toolSchemas.set(server, schemas);
  const register = server.registerTool.bind(server) as (...args: unknown[]) => unknown;
  server.registerTool = ((name: string, config: { inputSchema?: unknown }, ...rest: unknown[]) => {
    const shape = config.inputSchema;
    if (shape !== undefined) {
      schemas.set(name, isSchema(shape) ? shape : z.object(shape as z.ZodRawShape));
    }
    return register(name, config, ...rest);
  }) as typeof server.registerTool;
}

/** A JSON-RPC error response for the first request in `body` with invalid params, if any. */
export function invalidParamsResponse(body: unknown, server: McpServer): Response | undefined {
  const messages = Array.isArray(body) ? body : [body];
  for (const [i, message] of messages.entries()) {
    const problem = checkRequest(message, toolSchemas.get(server));
    if (problem === undefined) continue;
    const id = (message as { id: string | number }).id;
    const text = Array.isArray(body) ? `Batch item ${i}: ${problem}` : problem;
    // 200, as the SDK answers its own JSON-RPC errors, so clients read the error, not an HTTP failure.
    return Response.json(
      { jsonrpc: "2.0", id: Array.isArray(body) ? null : id, error: { code: INVALID_PARAMS, message: text } },
      { status: 200 },
    );
  }
  return undefined;
}

function checkRequest(message: unknown, tools: Map<string, Schema> | undefined): string | undefined {
  // Only requests (with an id) get answers; app.ts has already refused malformed messages.
  if (typeof message !== "object" || message === null || !("id" in message) || !("method" in message)) {
    return undefined;
  }
  const { method, params } = message as { method: string; params?: unknown };
  const schema = REQUEST_SCHEMAS[method];
  if (!schema) return undefined;
  const parsed = schema.safeParse(message);
  if (!parsed.success)
    return `Invalid params for ${method}: ${describeIssues(parsed.error?.issues, message)}.`;
  if (method !== "tools/call" || !tools) return undefined;
  const { name, arguments: args } = params as { name: string; arguments?: unknown };
  const input = tools.get(name);
  if (!input) {
    return `Unknown tool ${JSON.stringify(name.slice(0, 100))}; call tools/list to see the tools this server offers.`;
  }
  const checked = input.safeParse(args ?? {});
  if (checked.success) return undefined;
  return `Invalid arguments for tool ${name}: ${describeIssues(checked.error?.issues, args ?? {})}.`;
}

function describeIssues(issues: Issue[] | undefined, root: unknown): string {
  const [first, ...rest] = issues ?? [];
  if (!first) return "they do not match the schema";
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? "s" : ""})` : "";
  return `${describeIssue(first, root)}${more}`;
}

function describeIssue(issue: Issue, root: unknown): string {
  const field = issue.path.length > 0 ? `"${fieldName(issue.path)}"` : "the value";
  const actual = valueAt(root, issue.path);
  const expected = typeof issue.expected === "string" ? issue.expected : undefined;
  const choices = issue.options ?? issue.values;
  if (issue.code === "invalid_type" && expected !== undefined) {
    if (actual === undefined) return `${field} is required (${article(expected)})`;
    return `${field} must be ${article(expected)}, not ${article(typeName(actual))}`;
  }
  if ((issue.code === "invalid_enum_value" || issue.code === "invalid_value") && choices) {
    return `${field} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`;
  }
  if ((issue.code === "too_small" || issue.code === "too_big") && issue.origin === "number") {
    const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
    const side = issue.code === "too_small" ? "greater" : "less";
    return `${field} must be ${side} than ${issue.inclusive ? "or equal to " : ""}${String(bound)}`;
  }
  // Bounds and the rest: zod's own phrase ("Number must be greater than 0") reads fine after the field.
  return `${field}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}

function fieldName(path: PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i > 0 ? "." : ""}${String(part)}`))
    .join("");
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function article(type: string): string {
  if (type === "null" || type === "undefined") return type;
  // zod's names: string, number, boolean, object, array, record, integer, ...
  const noun = type === "record" ? "object" : type;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function isSchema(value: unknown): value is Schema {
  return typeof (value as { safeParse?: unknown } | null)?.safeParse === "function";
}
