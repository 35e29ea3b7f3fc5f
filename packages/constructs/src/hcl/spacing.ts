/**
 * Token spacing and widths, by the rules of `terraform fmt` (hclwrite's format.go:
 * spaceAfterToken and its bracket bookkeeping), shared by the layout (what fits in the width) and
 * the line formatter.
 */
import type { Token } from "./lexer.js";

const IN_KEYWORD = "in";

export function bracketChange(t: Token): number {
  switch (t.type) {
    case "OBrace":
    case "OBrack":
    case "OParen":
    case "TemplateControl":
    case "TemplateInterp":
      return 1;
    case "CBrace":
    case "CBrack":
    case "CParen":
    case "TemplateSeqEnd":
      return -1;
    default:
      return 0;
  }
}

const COMPARISONS = new Set([
  "EqualOp",
  "NotEqual",
  "GreaterThan",
  "GreaterThanEq",
  "LessThan",
  "LessThanEq",
]);
const NEGATION_AFTER = new Set([
  "OParen",
  "OBrace",
  "OBrack",
  "Equal",
  "Colon",
  "Comma",
  "Question",
  "Plus",
  "Star",
  "Slash",
  "Percent",
  "Minus",
  "And",
  "Or",
  "Bang",
  ...COMPARISONS,
]);

/** hclwrite's spaceAfterToken: whether a space separates `subject` from `after` on a line. */
export function spaceAfter(subject: Token, before: Token | undefined, after: Token): boolean {
  const s = subject.type;
  const a = after.type;
  if (a === "Newline") return false;
  if (s === "Ident" && a === "OParen") return false;
  if ((s === "Ident" && a === "DoubleColon") || (s === "DoubleColon" && a === "Ident")) return false;
  if (s === "Dot" || a === "Dot") return false;
  if (a === "Comma" || a === "Ellipsis") return false;
  if (s === "Comma") return true;
  if (
    s === "QuotedLit" ||
    s === "StringLit" ||
    s === "OQuote" ||
    s === "OHeredoc" ||
    a === "QuotedLit" ||
    a === "StringLit" ||
    a === "CQuote" ||
    a === "CHeredoc"
  )
    return false;
  if (s === "Ident" && subject.text === IN_KEYWORD && before?.type === "Ident") return true;
  if (a === "OBrack" && (s === "Ident" || s === "NumberLit" || bracketChange(subject) < 0)) return false;
  if (s === "Bang") return false;
  if (s === "Minus") return before !== undefined && !NEGATION_AFTER.has(before.type);
  if (s === "OBrace" || a === "CBrace") return !(s === "OBrace" && a === "CBrace");
  if ((s === "TemplateInterp" || s === "TemplateControl") && a === "OBrace") return true;
  if (s === "CBrace" && a === "TemplateSeqEnd") return true;
  if (s === "TemplateSeqEnd" && (a === "TemplateInterp" || a === "TemplateControl")) return false;
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

/** Display columns of a token's text (code points). */
export function columns(text: string): number {
  return [...text].length;
}
