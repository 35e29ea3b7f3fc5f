import { wellFormed } from "./text.js";

/** Path, query and host helpers shared by the event families. */

/**
 * Makes a raw (still URL-encoded) path safe to put in a URL: leading "/", and the two characters that
 * would end the path early ("?" and "#") escaped. Everything else is left for the URL parser.
 */
export function rawPathToUrlPath(path: unknown): string {
  let p = typeof path === "string" ? wellFormed(path) : "";
  p = p.replace(/[?#]/g, (c: string) => (c === "?" ? "%3F" : "%23"));
  return p.startsWith("/") ? p : `/${p}`;
}

/** Encodes a decoded path (REST API `path`) back into URL form, keeping "/" as the separator. */
export function decodedPathToUrlPath(path: unknown): string {
  const p = typeof path === "string" ? path : "";
  const encoded = p
    .split("/")
    .map((segment) =>
      encodeURIComponent(wellFormed(segment)).replace(/%(?:3A|40|24|2C|3B|3D|2B)/g, decodeURIComponent),
    )
    .join("/");
  return encoded.startsWith("/") ? encoded : `/${encoded}`;
}

/** Removes `/prefix` from the front of a URL path at a segment boundary ("/prod/mcp" -> "/mcp"). */
export function stripPrefix(path: string, prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  if (trimmed === "" || trimmed === "/") return path;
  const p = trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
  if (path === p) return "/";
  if (path.startsWith(`${p}/`)) return path.slice(p.length);
  return path;
}

/** Encodes a decoded query key or value (API Gateway hands these over decoded). */
function encodeComponent(value: string): string {
  return encodeURIComponent(wellFormed(value));
}

/** Keeps an already-encoded query key or value (ALB hands these over as received) from breaking the query. */
function keepEncoded(value: string): string {
  return wellFormed(value).replace(/[&#]/g, (c: string) => (c === "&" ? "%26" : "%23"));
}

/**
 * Builds a query string from `queryStringParameters`/`multiValueQueryStringParameters`. The multi-value
 * map, when present, wins (it holds every value). `encoded` says whether keys and values are already
 * URL-encoded (ALB) or decoded (API Gateway).
 */
export function queryFromParameters(single: unknown, multi: unknown, encoded: boolean): string {
  const enc = encoded ? keepEncoded : encodeComponent;
  const pairs: string[] = [];
  const pushPair = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    const v = String(value);
    // ALB gives "" for a bare key ("?flag"); write it back the way it came.
    pairs.push(encoded && v === "" ? enc(key) : `${enc(key)}=${enc(v)}`);
  };
  if (multi && typeof multi === "object" && Object.keys(multi).length > 0) {
    for (const [key, values] of Object.entries(multi as Record<string, unknown>)) {
      if (Array.isArray(values)) for (const v of values) pushPair(key, v);
      else pushPair(key, values);
    }
  } else if (single && typeof single === "object") {
    for (const [key, value] of Object.entries(single as Record<string, unknown>)) pushPair(key, value);
  }
  return pairs.join("&");
}

/** A raw query string, made safe to append after "?" (a "#" would start a fragment). */
export function rawQuery(query: unknown): string {
  if (typeof query !== "string") return "";
  return wellFormed(query).replace(/^\?/, "").replace(/#/g, "%23");
}

/** Returns `host` if it is a plain host[:port] that a URL accepts, else undefined. */
export function validHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const h = host.trim();
  if (h === "" || /[\s/\\?#@]/.test(h)) return undefined;
  try {
    const url = new URL(`https://${h}`);
    return url.host === "" ? undefined : url.host;
  } catch {
    return undefined;
  }
}
