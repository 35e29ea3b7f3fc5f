export declare function httpApiV2Event(opts?: {
  method?: string;
  path?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: unknown;
}): Record<string, unknown>;
export declare function mcpEvent(
  method: string,
  params?: unknown,
  opts?: { id?: number; token?: string },
): Record<string, unknown>;
export declare const initializeParams: Record<string, unknown>;
export declare function scheduledEvent(opts?: { rule?: string }): Record<string, unknown>;
/** A JSON-RPC response; `result` is left loose on purpose (tests read into MCP results). */
export interface JsonRpcMessage {
  jsonrpc: "2.0";
  id?: number | string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}
export declare function jsonRpcFromResult(result: unknown): JsonRpcMessage;
