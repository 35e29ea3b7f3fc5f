/** The request description every factory takes, and the helpers that turn it into event fields. */

export interface RequestSpec {
  /** HTTP method; default "GET". */
  method?: string;
  /** The path the client requested (URL-encoded form), without stage; default "/". */
  path?: string;
  /** Query as the client sent it ("a=1&b=x%20y") or as a map (encoded for you); default none. */
  query?: string | Record<string, string | string[]>;
  /** Request headers; a list gives a header several values. */
  headers?: Record<string, string | string[]>;
  /** Cookies as "name=value" pairs; they become the Cookie header / v2 `cookies[]`. */
  cookies?: string[];
  /** Body: a string is sent as UTF-8; bytes are always sent base64-encoded. */
  body?: string | Uint8Array;
  /**
   * Force the base64 flag. Default: what AWS does for the event family (bytes always; for HTTP API,
   * Function URL and ALB also any body whose content type is not text; REST API only for bytes, as with
   * `binaryMediaTypes` unset).
   */
  base64?: boolean;
  /** Client address; default "203.0.113.7" (documentation range). */
  sourceIp?: string;
  /** Request id in `requestContext.requestId`; default a fixed UUID. */
  requestId?: string;
  /** Host header / domain name; default the family's AWS domain. */
  host?: string;
  /** API Gateway stage. HTTP API: default "$default"; a named stage is put in front of rawPath. REST: default "prod". */
  stage?: string;
}

export const DEFAULT_SOURCE_IP = "203.0.113.7";
export const DEFAULT_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
export const FIXED_TIME = "25/Nov/2026:13:00:00 +0000";
export const FIXED_EPOCH = 1795698000000;

const TEXT_TYPE =
  /^(?:text\/|application\/(?:json|xml|javascript|x-www-form-urlencoded)|application\/[^;]*\+(?:json|xml))/i;

/** The query as the raw (encoded) string the client sent. */
export function rawQueryOf(spec: RequestSpec): string {
  const q = spec.query;
  if (q === undefined) return "";
  if (typeof q === "string") return q.replace(/^\?/, "");
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(q)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params.toString();
}

function decodeQueryComponent(value: string): string {
  const spaced = value.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** The raw query split into pairs, either still encoded (ALB) or decoded (API Gateway). */
export function queryPairs(spec: RequestSpec, decode: boolean): Array<[string, string]> {
  const raw = rawQueryOf(spec);
  if (raw === "") return [];
  return raw
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const i = part.indexOf("=");
      const key = i < 0 ? part : part.slice(0, i);
      const value = i < 0 ? "" : part.slice(i + 1);
      return decode ? [decodeQueryComponent(key), decodeQueryComponent(value)] : [key, value];
    });
}

/** Pairs to `queryStringParameters` with `join` for repeats ("," for HTTP API, last wins otherwise). */
export function singleQuery(
  pairs: Array<[string, string]>,
  join: "comma" | "last",
): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out = new Map<string, string>();
  for (const [k, v] of pairs) {
    const prev = out.get(k);
    out.set(k, join === "comma" && prev !== undefined ? `${prev},${v}` : v);
  }
  return Object.fromEntries(out);
}

export function multiQuery(pairs: Array<[string, string]>): Record<string, string[]> | undefined {
  if (pairs.length === 0) return undefined;
  const out = new Map<string, string[]>();
  for (const [k, v] of pairs) out.set(k, [...(out.get(k) ?? []), v]);
  return Object.fromEntries(out);
}

/** Header entries as (name, values) pairs; names keep the given case unless `lower`. */
export function headerEntries(spec: RequestSpec, lower: boolean): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    out.push([lower ? name.toLowerCase() : name, Array.isArray(value) ? value : [value]]);
  }
  return out;
}

export function contentTypeOf(spec: RequestSpec): string | undefined {
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (name.toLowerCase() === "content-type") return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** The event `body` and `isBase64Encoded` for a spec. `binaryByType` mirrors HTTP API/ALB behaviour. */
export function bodyOf(
  spec: RequestSpec,
  binaryByType: boolean,
): { body: string | null; isBase64Encoded: boolean } {
  const b = spec.body;
  if (b === undefined) return { body: null, isBase64Encoded: false };
  const bytes = typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b);
  const ct = contentTypeOf(spec);
  const base64 =
    spec.base64 ??
    (typeof b !== "string" || (binaryByType && bytes.length > 0 && !(ct && TEXT_TYPE.test(ct))));
  return base64
    ? { body: bytes.toString("base64"), isBase64Encoded: true }
    : { body: typeof b === "string" ? b : bytes.toString("utf8"), isBase64Encoded: false };
}

export function methodOf(spec: RequestSpec): string {
  return (spec.method ?? "GET").toUpperCase();
}

export function pathOf(spec: RequestSpec): string {
  const p = spec.path ?? "/";
  return p.startsWith("/") ? p : `/${p}`;
}
