/**
 * Header helpers shared by the event families. Lambda events carry headers as plain JSON maps; a Fetch
 * `Headers` object rejects names that are not HTTP tokens and values with CR, LF or NUL, so every write
 * goes through `safeAppend`, which drops what HTTP could not have carried instead of throwing.
 */

/** The header the adapter sets to the client address (appended to any existing chain). */
export const SOURCE_IP_HEADER = "x-forwarded-for";
/** The header the adapter sets (overwrites) to the request id of the invocation. */
export const REQUEST_ID_HEADER = "x-request-id";

import { wellFormed } from "./text.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Turns an event header value into the byte string a Node HTTP server would have seen: API Gateway and
 * ALB hand us UTF-8-decoded text, `Headers` holds ISO-8859-1 "byte strings". Non-ASCII text is
 * re-encoded as UTF-8 bytes, one char per byte. CR, LF and NUL cannot occur on the wire and are dropped.
 */
export function toByteString(value: string): string {
  let v = value.replace(/[\r\n\0]/g, "");
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(v)) {
    v = Buffer.from(wellFormed(v), "utf8").toString("latin1");
  }
  return v;
}

/** Appends a header if the name is a valid token; never throws. Cookie values are joined with "; ". */
export function safeAppend(headers: Headers, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!TOKEN.test(name)) return;
  const v = toByteString(String(value));
  try {
    if (name.toLowerCase() === "cookie") {
      const existing = headers.get("cookie");
      headers.set("cookie", existing ? `${existing}; ${v}` : v);
    } else {
      headers.append(name, v);
    }
  } catch {
    // Unreachable with the checks above; a header HTTP could not carry is dropped, not fatal.
  }
}

/** Sets a header (replacing any value) if valid; never throws. */
export function safeSet(headers: Headers, name: string, value: string): void {
  if (!TOKEN.test(name)) return;
  try {
    headers.set(name, toByteString(value));
  } catch {
    // see safeAppend
  }
}

type SingleMap = Record<string, unknown> | null | undefined;
type MultiMap = Record<string, unknown> | null | undefined;

/**
 * Builds Headers from an event's `headers` and `multiValueHeaders`. Where a name is in both (REST API
 * events carry both), the multi-value list wins because it holds every value; names only in `headers`
 * are added too.
 */
export function headersFromEvent(single: SingleMap, multi: MultiMap): Headers {
  const headers = new Headers();
  const seen = new Set<string>();
  if (multi && typeof multi === "object") {
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values)) continue;
      seen.add(name.toLowerCase());
      for (const value of values) safeAppend(headers, name, value);
    }
  }
  if (single && typeof single === "object") {
    for (const [name, value] of Object.entries(single)) {
      if (seen.has(name.toLowerCase())) continue;
      safeAppend(headers, name, value);
    }
  }
  return headers;
}

/** Case-insensitive lookup in a plain header map. */
export function findHeader(map: SingleMap, name: string): string | undefined {
  if (!map || typeof map !== "object") return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(map)) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== null) return String(value);
  }
  return undefined;
}

/** Case-insensitive lookup of the first value in a multi-value header map. */
export function findMultiHeader(map: MultiMap, name: string): string | undefined {
  if (!map || typeof map !== "object") return undefined;
  const wanted = name.toLowerCase();
  for (const [key, values] of Object.entries(map)) {
    if (key.toLowerCase() === wanted && Array.isArray(values) && values[0] !== undefined)
      return String(values[0]);
  }
  return undefined;
}

/**
 * Merges v2 `cookies[]` into the Cookie header. Function URL events carry the cookies in both places;
 * HTTP API events (as in the 2.0 docs example) in `cookies[]`. Each cookie pair appears once, in header order then array order.
 */
export function mergeCookies(headers: Headers, cookies: unknown): void {
  if (!Array.isArray(cookies) || cookies.length === 0) return;
  const pairs: string[] = [];
  const seen = new Set<string>();
  const add = (pair: string) => {
    const p = toByteString(pair).trim();
    if (p === "" || seen.has(p)) return;
    seen.add(p);
    pairs.push(p);
  };
  for (const pair of (headers.get("cookie") ?? "").split(";")) add(pair);
  for (const cookie of cookies) {
    if (typeof cookie !== "string") continue;
    for (const pair of cookie.split(";")) add(pair);
  }
  if (pairs.length > 0) safeSet(headers, "cookie", pairs.join("; "));
}

/** Response headers other than Set-Cookie, comma-joined as Fetch joins them. */
export function singleValueHeaders(headers: Headers, omit: ReadonlySet<string>): Record<string, string> {
  // Built from entries so a header named "__proto__" is an own property, not a prototype change.
  const out: Array<[string, string]> = [];
  headers.forEach((value, name) => {
    if (name === "set-cookie" || omit.has(name)) return;
    out.push([name, value]);
  });
  return Object.fromEntries(out);
}

/** Every response header as a list; Set-Cookie keeps one entry per cookie. */
export function multiValueHeaders(headers: Headers, omit: ReadonlySet<string>): Record<string, string[]> {
  const out: Array<[string, string[]]> = [];
  headers.forEach((value, name) => {
    if (name === "set-cookie" || omit.has(name)) return;
    out.push([name, [value]]);
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out.push(["set-cookie", cookies]);
  return Object.fromEntries(out);
}

/** Hop-by-hop headers a Lambda result must not carry (the front door frames the response itself). */
export const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);
