import { isLoopbackHost } from "../config.js";

/**
 * DNS rebinding defence for a loopback-bound server: a browser page on another site may resolve its
 * own name to 127.0.0.1, but it cannot make the Host (or Origin) header say localhost.
 */
export function isLoopbackRequest(request: Request): boolean {
  const host = request.headers.get("host") ?? new URL(request.url).host;
  if (!isLoopbackHost(hostname(host))) return false;
  const origin = request.headers.get("origin");
  if (origin === null || origin === "null") return origin === null;
  try {
    return isLoopbackHost(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.split(":")[0] ?? host;
}
