import { wellFormed } from "./text.js";

/** Body encoding both ways: event body -> bytes, response bytes -> text or base64. */

/** Decodes an event body to the exact bytes the client sent. */
export function decodeEventBody(
  body: unknown,
  isBase64Encoded: unknown,
): Uint8Array<ArrayBuffer> | undefined {
  if (body === undefined || body === null) return undefined;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  if (isBase64Encoded === true) return new Uint8Array(Buffer.from(text, "base64"));
  return new TextEncoder().encode(wellFormed(text));
}

const TEXT_TYPES =
  /^(?:text\/[^;]*|application\/(?:json|xml|javascript|ecmascript|x-javascript|graphql|x-ndjson|x-www-form-urlencoded)|application\/[^;]*\+(?:json|xml)|image\/svg\+xml)\s*(?:;|$)/i;

/**
 * True for content types whose bodies are sent as text: text/* (including text/event-stream),
 * application/json, application/*+json, XML, JavaScript. Everything else is binary.
 */
export function isTextContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  return TEXT_TYPES.test(contentType.trim());
}

function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}

export interface EncodedBody {
  body: string;
  isBase64Encoded: boolean;
}

/**
 * Encodes response bytes for a Lambda result. Text content types that are valid UTF-8 (and declare no
 * other charset) go as text; everything else, including anything with a Content-Encoding, goes as
 * base64 so the bytes arrive exactly.
 */
export function encodeResponseBody(
  bytes: Uint8Array,
  contentType: string | null,
  contentEncoding: string | null,
): EncodedBody {
  if (bytes.byteLength === 0) return { body: "", isBase64Encoded: false };
  const identity = !contentEncoding || contentEncoding.trim().toLowerCase() === "identity";
  const charset = contentType ? charsetOf(contentType) : undefined;
  const utf8Charset =
    charset === undefined || charset === "utf-8" || charset === "utf8" || charset === "us-ascii";
  if (identity && utf8Charset && isTextContentType(contentType)) {
    try {
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      return { body: text, isBase64Encoded: false };
    } catch {
      // not valid UTF-8 after all: fall through to base64
    }
  }
  return {
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    isBase64Encoded: true,
  };
}

/** Reads a Response body to bytes (an empty array for a null body). */
export async function readBody(response: Response): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  return new Uint8Array(await response.arrayBuffer());
}
