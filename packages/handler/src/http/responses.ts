export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A JSON-RPC error for failures before the MCP server sees the message (`id` when one is known). */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  id: string | number | null = null,
): Response {
  return jsonResponse(status, { jsonrpc: "2.0", error: { code, message }, id });
}
