/**
 * The name prefix of a created workspace bucket (`bucket_prefix`), and what S3 and the AWS provider
 * accept for it. The provider appends a 26-character unique suffix and caps the prefix at 37
 * characters (63, S3's limit, minus 26); S3 wants lowercase letters, digits, hyphens and dots,
 * a letter or digit first, no "..", and none of the reserved prefixes
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 *
 * The default prefix comes from the module's name, which may be longer (function names go to 64)
 * and carry upper case and underscores: it is lowercased, `_` becomes `-`, and it is cut to 26
 * characters before `-workspace-` (11), so it fits. A name that was valid before keeps its prefix.
 */
import { Fn, Token } from "cdktf";

export const BUCKET_PREFIX_MAX = 37;
const SUFFIX = "-workspace-";
const NAME_PART_MAX = BUCKET_PREFIX_MAX - SUFFIX.length;
const CHARS = "^[a-z0-9][a-z0-9.-]*$";
const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];

/** The default prefix for a module named `name`: `<name, lowercased, _ → -, ≤ 26>-workspace-`. */
export function defaultBucketPrefix(name: string): string {
  if (!Token.isUnresolved(name))
    return `${name.toLowerCase().replace(/_/g, "-").slice(0, NAME_PART_MAX)}${SUFFIX}`;
  return `${Fn.substr(Fn.lower(Fn.replace(name, "_", "-")), 0, NAME_PART_MAX)}${SUFFIX}`;
}

/** Why S3 or the provider would refuse `prefix` (a literal), or undefined when they accept it. */
export function bucketPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > BUCKET_PREFIX_MAX) return `longer than ${BUCKET_PREFIX_MAX} characters`;
  if (!new RegExp(CHARS).test(prefix)) {
    return "not only lowercase letters, digits, hyphens and dots, starting with a letter or digit";
  }
  if (prefix.includes("..")) return 'contains ".."';
  const reserved = RESERVED_PREFIXES.find((r) => prefix.startsWith(r));
  return reserved ? `starts with the reserved "${reserved}"` : undefined;
}

/** The same rule as an HCL expression over `expr` (a bare reference such as `var.x`). */
export function bucketPrefixCondition(expr: string): string {
  return [
    `length(${expr}) <= ${BUCKET_PREFIX_MAX}`,
    `can(regex(${JSON.stringify(CHARS)}, ${expr}))`,
    `!strcontains(${expr}, "..")`,
    ...RESERVED_PREFIXES.map((r) => `!startswith(${expr}, ${JSON.stringify(r)})`),
  ].join(" && ");
}

export const BUCKET_PREFIX_RULE = `at most ${BUCKET_PREFIX_MAX} characters (the AWS provider appends 26 to make the bucket name), lowercase letters, digits, hyphens and dots, starting with a letter or digit, without ".." and not starting with ${RESERVED_PREFIXES.join(", ")}`;
