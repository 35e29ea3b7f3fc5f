/**
 * Small helpers shared by the constructs. Every option that a Terraform module exposes as a variable
 * may arrive here either as a plain value (a CDKTF user deciding at synth time) or as a token (the
 * module deciding at plan time). The helpers keep the two paths in one code path:
 * a literal `false` creates nothing, a literal `true` creates one resource without `count`, and a
 * token becomes `count = cond ? 1 : 0`. References to possibly-counted resources always go through
 * `one(resource[*].attr)`, which works for both shapes.
 */
import { Fn, Op, TerraformLocal, TerraformStack, Token, ref as tfRef, type IResolvable } from "cdktf";
import type { Construct } from "constructs";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";

/** A plan-time or synth-time condition. */
export type Cond = boolean | IResolvable;

/** A string that may be empty ("not set"), literal or token. */
export type OptString = string | undefined;

export function isLiteral(c: Cond): c is boolean {
  return typeof c === "boolean";
}

/** `count` value for a conditional resource, or `"skip"` when it must not exist at all. */
export function countOf(c: Cond): number | undefined | "skip" {
  if (isLiteral(c)) return c ? undefined : "skip";
  return Token.asNumber(Fn.conditional(c, 1, 0));
}

/** Runs `make(count)` unless the condition is literally false. */
export function when<T>(c: Cond, make: (count: number | undefined) => T): T | undefined {
  const n = countOf(c);
  if (n === "skip") return undefined;
  return make(n);
}

/** `a` when the condition holds, else `b`; a plan-time conditional for tokens. */
export function pick<T>(c: Cond, a: T, b: T): T {
  if (isLiteral(c)) return c ? a : b;
  return Fn.conditional(c, a, b) as T;
}

export function and(a: Cond, b: Cond): Cond {
  if (isLiteral(a)) return a ? b : false;
  if (isLiteral(b)) return b ? a : false;
  return Op.and(a, b);
}

export function or(a: Cond, b: Cond): Cond {
  if (isLiteral(a)) return a ? true : b;
  if (isLiteral(b)) return b ? true : a;
  return Op.or(a, b);
}

export function not(a: Cond): Cond {
  return isLiteral(a) ? !a : Op.not(a);
}

/** `value == expected`, literal when `value` is. */
export function eq(value: string, expected: string): Cond {
  return Token.isUnresolved(value) ? Op.eq(value, expected) : value === expected;
}

/** True when an optional string is set (non-null, non-empty). */
export function isSet(value: OptString): Cond {
  if (value === undefined) return false;
  if (!Token.isUnresolved(value)) return value !== "";
  // length(compact([x])) > 0: false for null and "" alike (CDKTF renders a bare "" operand badly).
  // (`>= 1`, not `> 0`: CDKTF renders a falsy literal operand of Op.* as "undefined".)
  return Op.gte(Fn.lengthOf(Fn.compact([value])), 1);
}

/** `one(resource[*].attr)`: the attribute of a resource that may carry `count`. */
export function ref(resource: Construct & { fqn: string }, attr: string): string {
  return Token.asString(Fn.one(tfRef(`${resource.fqn}[*].${attr}`, TerraformStack.of(resource))));
}

/** Terraform's `null`, as a string token (an unset optional argument). */
export const NULL: string = Token.asString(Token.nullValue());

export interface Statement {
  sid: string;
  actions: string[];
  resources: string[];
  /** Only when a statement must exist conditionally: a plan-time condition. */
  condition?: { test: string; variable: string; values: string[] }[];
}

/** An IAM policy document built from explicit statements (no wildcard actions, ever). */
export function policyDocument(
  scope: Construct,
  id: string,
  statements: Statement[],
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: statements.map((s) => ({
      sid: s.sid,
      effect: "Allow",
      actions: s.actions,
      resources: s.resources,
      condition: s.condition,
    })),
  });
}

/** A trust policy for one AWS service principal, optionally scoped to this account. */
export function assumeRoleDocument(
  scope: Construct,
  id: string,
  service: string,
  sourceAccount?: string,
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      {
        sid: "AssumeRole",
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: [service] }],
        condition: sourceAccount
          ? [{ test: "StringEquals", variable: "aws:SourceAccount", values: [sourceAccount] }]
          : undefined,
      },
    ],
  });
}

/** Tags as a plain map, or a token map. */
export type Tags = Record<string, string> | { [key: string]: string };

/**
 * The role that inline policies go to. An IamRole is one; a function given an existing role passes
 * `attach` (false: document the permissions, attach nothing to a role the caller owns) and
 * `documents`, which collects every policy document so they can be offered as one.
 */
export interface RoleTarget {
  readonly id: string;
  /** Whether to put the policies on the role (default true). */
  readonly attach?: Cond;
  /** Receives the JSON of each policy document made for this role. */
  readonly documents?: string[];
}

/**
 * An inline policy on `role`, present only when `cond` holds: one policy per optional feature, so
 * the role carries exactly what the enabled features need.
 */
export function rolePolicy(
  scope: Construct,
  name: string,
  role: RoleTarget,
  cond: Cond,
  statements: Statement[],
): IamRolePolicy | undefined {
  const attach = role.attach ?? true;
  const doc = when(cond, (count) => {
    const d = policyDocument(scope, `${name}-policy`, statements);
    if (count !== undefined) d.count = count;
    return d;
  });
  if (!doc) return undefined;
  const json = doc.count !== undefined ? ref(doc, "json") : doc.json;
  role.documents?.push(json);
  return when(
    and(cond, attach),
    (count) => new IamRolePolicy(scope, `${name}-role-policy`, { count, name, role: role.id, policy: json }),
  );
}

/** `x`, or "" when it is null: for templates and functions that refuse null (trimprefix, "${x}"). */
export function orEmpty(value: string): string {
  if (!Token.isUnresolved(value)) return value;
  return Token.asString(Fn.conditional(Op.eq(value, Token.nullValue()), "", value));
}

/**
 * Gives a plan-time condition a name: a `locals` entry, so the module reads
 * `count = local.x ? 1 : 0` rather than the whole expression at every use. Literals pass through.
 */
export function named(scope: Construct, id: string, c: Cond): Cond {
  if (isLiteral(c)) return c;
  return new TerraformLocal(scope, id, c).asBoolean;
}
