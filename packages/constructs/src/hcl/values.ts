/**
 * JSON values as HCL expressions. A JSON string is a template when Terraform evaluates it with a
 * context (resource arguments, locals, outputs' values): `"${var.x}"` alone becomes `var.x`, mixed
 * templates stay quoted with their interpolations reformatted. Strings Terraform reads without one
 * (variable defaults and descriptions, version constraints) are literal, and `${` in them is
 * escaped.
 */
import { group, ifBreak, tok, type Doc, type HeredocToken } from "./doc.js";
import { expressionDoc, objectDoc, templateDoc, tupleDoc, type Context } from "./expression-doc.js";
import { escapeQuoted, lexExpression, lexJsonTemplate } from "./lexer.js";
import { parseExpression, parseTemplate, type Node } from "./parser.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** `template`: evaluated with a context; `literal`: read as is. */
export type StringMode = "template" | "literal";

import { LINE_WIDTH, MAX_LINE } from "./limits.js";

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const KEYWORDS = new Set(["true", "false", "null", "for", "in", "if"]);

export function isIdentifier(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) && !KEYWORDS.has(s);
}

function quoted(text: string, mode: "json" | "literal"): Doc {
  const inner = escapeQuoted(text, mode);
  return [tok("OQuote", '"'), inner === "" ? [] : tok("QuotedLit", inner), tok("CQuote", '"')];
}

/** An HCL expression given as source text (a variable's type, a traversal). */
export function rawExpressionDoc(src: string, context: Context = "sensitive"): Doc {
  return expressionDoc(parseExpression(lexExpression(src)), context);
}

/** The single interpolation `${expr}` that makes up the whole template, if it is one. */
function onlyInterpolation(src: string): Node | undefined {
  const t = parseTemplate(lexJsonTemplate(src));
  const part = t.parts[0];
  if (t.parts.length === 1 && part?.kind === "interp" && part.open.text === "${" && part.close.text === "}")
    return part.expr;
  return undefined;
}

/** A string that holds no template sequence at all, escaped or not: safe to cut anywhere. */
function isPlainText(s: string): boolean {
  return !/[$%]\{/.test(s);
}

/** Pieces of `s` of about `size` characters, cut after a separator where there is one. */
export function chunks(s: string, size: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > size) {
    const window = rest.slice(0, size);
    const cut = Math.max(window.lastIndexOf(" "), window.lastIndexOf(","), window.lastIndexOf("/"));
    const at = cut > size / 2 ? cut + 1 : size;
    out.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  return rest === "" ? out : [...out, rest];
}

/**
 * A literal string in an expression: quoted, or where that would pass MAX_LINE,
 * `join("", [...])` of pieces, which is the same value.
 */
function longLiteralDoc(s: string): Doc {
  const flat = quoted(s, "json");
  if (!isPlainText(s) || s.length < 60) return flat;
  const pieces = chunks(s, 80).map((c) => quoted(c, "json"));
  const broken = [
    tok("Ident", "join"),
    tok("OParen", "("),
    tok("OQuote", '"'),
    tok("CQuote", '"'),
    tok("Comma", ","),
    tupleDoc(pieces),
    tok("CParen", ")"),
  ];
  return group(ifBreak(broken, flat), MAX_LINE);
}

/** A JSON string evaluated as a template. */
export function templateStringDoc(s: string, context: Context): Doc {
  const only = onlyInterpolation(s);
  if (only) return expressionDoc(only, context);
  const t = parseTemplate(lexJsonTemplate(s));
  if (t.parts.every((p) => p.kind === "literal")) return longLiteralDoc(s);
  return templateDoc(t.parts);
}

/**
 * Prose read as a literal (descriptions): quoted on one line, or where that would pass MAX_LINE
 * a heredoc wrapped at words (the value then has line breaks where the lines wrap, and ends with
 * one). Text a heredoc cannot carry unchanged stays quoted.
 */
export function proseDoc(s: string, mode: StringMode): Doc {
  const flat = mode === "literal" ? quoted(s, "literal") : templateStringDoc(s, "sensitive");
  // One paragraph without tabs or its own line breaks, and no line that could read as the end marker.
  const heredocSafe =
    /^[^\s][^\t\r\n]*[^\s]$/.test(s) && !/\bEOT\b/.test(s) && (mode === "literal" || isPlainText(s));
  if (!heredocSafe) return flat;
  const lines: string[] = [];
  let current = "";
  for (const word of s.split(/ +/)) {
    if (current !== "" && current.length + 1 + word.length > LINE_WIDTH - 20) {
      lines.push(current);
      current = word;
    } else current = current === "" ? word : `${current} ${word}`;
  }
  lines.push(current);
  const heredoc: HeredocToken = {
    type: "OHeredoc",
    text: "<<-EOT",
    lines: lines.map((l) => l.replace(/([$%])\{/g, "$1$1{")),
  };
  return group(ifBreak(heredoc, flat), MAX_LINE);
}

function keyDoc(k: string, mode: StringMode): Doc {
  if (isIdentifier(k)) return tok("Ident", k);
  if (mode === "literal") return quoted(k, "literal");
  const only = onlyInterpolation(k);
  if (only) return [tok("OParen", "("), expressionDoc(only, "free"), tok("CParen", ")")];
  return templateDoc(parseTemplate(lexJsonTemplate(k)).parts);
}

/** A JSON value as an HCL expression; `brokenObjects` puts every object's items on lines of their own. */
export function valueDoc(
  v: Json,
  mode: StringMode,
  context: Context = "sensitive",
  brokenObjects = false,
): Doc {
  if (v === null) return tok("Ident", "null");
  if (typeof v === "boolean") return tok("Ident", String(v));
  if (typeof v === "number") {
    const text = String(v);
    return text.startsWith("-")
      ? [tok("Minus", "-"), tok("NumberLit", text.slice(1))]
      : tok("NumberLit", text);
  }
  if (typeof v === "string") return mode === "literal" ? quoted(v, "literal") : templateStringDoc(v, context);
  if (Array.isArray(v)) {
    const items = v.map((x) => valueDoc(x, mode, "free", brokenObjects));
    return tupleDoc(items, v.length === 1 && isObject(v[0]));
  }
  return objectDoc(
    Object.entries(v).map(([k, x]) => [
      keyDoc(k, mode),
      tok("Equal", "="),
      valueDoc(x, mode, "sensitive", brokenObjects),
    ]),
    brokenObjects,
  );
}

/** A reference written as a string in JSON (`depends_on`, `ignore_changes`, `provider`). */
export function traversalDoc(s: string): Doc {
  const m = /^\$\{(.*)\}$/s.exec(s);
  return rawExpressionDoc(m ? m[1]! : s, "free");
}
