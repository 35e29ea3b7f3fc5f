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
