import { createHash, timingSafeEqual } from "node:crypto";

/** Compares a bearer token in constant time (hashing first makes the lengths equal). */
export function bearerMatches(authorization: string | null, expected: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  const given = createHash("sha256")
    .update(match?.[1] ?? "")
    .digest();
  const wanted = createHash("sha256").update(expected).digest();
  return timingSafeEqual(given, wanted) && match !== null;
}

/**
 * The name of the token the request carries, or undefined. Every token is compared (no early exit),
 * so the time taken says nothing about which names exist or how close a guess was.
 */
export function bearerCaller(
  authorization: string | null,
  tokens: ReadonlyMap<string, string>,
): string | undefined {
  let found: string | undefined;
  for (const [name, token] of tokens) {
    if (bearerMatches(authorization, token) && found === undefined) found = name;
  }
  return found;
}
