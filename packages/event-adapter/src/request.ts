import { MalformedEventError } from "./errors.js";
import { REQUEST_ID_HEADER, SOURCE_IP_HEADER, safeSet } from "./headers.js";
import type { RequestParts, ToRequestOptions } from "./types.js";
import { stripPrefix, validHost } from "./url.js";

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NO_BODY = new Set(["GET", "HEAD"]);

/** Assembles the Fetch Request every event family reduces to. */
export function buildRequest(parts: RequestParts, options: ToRequestOptions = {}): Request {
  const method = typeof parts.method === "string" ? parts.method.toUpperCase() : "";
  if (!METHOD.test(method)) {
    throw new MalformedEventError(`Lambda event has an invalid HTTP method: ${JSON.stringify(parts.method)}`);
  }
  const headers = parts.headers;
  const host = validHost(parts.host) ?? validHost(parts.fallbackHost) ?? "localhost";

  let path = parts.path;
  if (options.basePath) path = stripPrefix(path, options.basePath);
  const url = `https://${host}${path}${parts.query ? `?${parts.query}` : ""}`;

  if (parts.sourceIp) {
    const chain = headers.get(SOURCE_IP_HEADER);
    const entries = chain ? chain.split(",").map((s) => s.trim()) : [];
    if (entries[entries.length - 1] !== parts.sourceIp) {
      safeSet(headers, SOURCE_IP_HEADER, chain ? `${chain}, ${parts.sourceIp}` : parts.sourceIp);
    }
  }
  const requestId = parts.requestId || options.requestId;
  if (requestId) safeSet(headers, REQUEST_ID_HEADER, requestId);

  const body = NO_BODY.has(method) ? undefined : parts.body;
  try {
    return new Request(url, { method, headers, body });
  } catch (cause) {
    throw new MalformedEventError(`Lambda event cannot become a Fetch Request: ${(cause as Error).message}`, {
      cause,
    });
  }
}
