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
export declare function jsonRpcFromResult(result: unknown): any;
