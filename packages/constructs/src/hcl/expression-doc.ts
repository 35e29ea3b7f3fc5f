/**
 * Expression trees as documents: where an expression may break over lines, and how. HCL ignores
 * newlines inside (), [], for expressions and `${ }`, and ends an item at a newline inside an
 * object constructor, so a break is only offered where the syntax allows one. A conditional or an
 * operator chain that must break where newlines end the expression is put in parentheses.
 */
import { group, hardline, ifBreak, indent, join, softline, tok, type Doc } from "./doc.js";
import type { Token } from "./lexer.js";
import { MAX_LINE } from "./limits.js";
import type { ForNode, Node, ObjectItem, TemplatePart } from "./parser.js";

/** Whether a newline at this point ends the expression (attribute values, object items). */
export type Context = "sensitive" | "free";

const comma = tok("Comma", ",");

/** A bracketed list that breaks one item per line with a trailing comma. */
function bracketed(open: Token, items: Doc[], close: Token, trailingComma = true): Doc {
  if (items.length === 0) return [open, close];
  return group([
    open,
    indent([softline, join([comma, softline], items), trailingComma ? ifBreak(comma) : []]),
    softline,
    close,
  ]);
}

/** Objects, tuples and for expressions open on the line before and close on the line after. */
function isCollection(node: Node): boolean {
  return node.kind === "object" || node.kind === "tuple" || node.kind === "for";
}

function objectItem(item: ObjectItem): Doc {
  return [expressionDoc(item.key, "sensitive"), item.separator, expressionDoc(item.value, "sensitive")];
}

/** `{ a = 1, b = 2 }` flat; one item per line, without commas, when broken (always, with `broken`). */
export function objectDoc(items: Doc[], broken = false): Doc {
  if (items.length === 0) return [tok("OBrace", "{"), tok("CBrace", "}")];
  const line = broken ? hardline : softline;
  return group([
    tok("OBrace", "{"),
    indent([line, join([ifBreak([], comma), line], items)]),
    line,
    tok("CBrace", "}"),
  ]);
}

export function tupleDoc(items: Doc[], hug = false): Doc {
  if (hug && items.length === 1) return [tok("OBrack", "["), items[0]!, tok("CBrack", "]")];
  return bracketed(tok("OBrack", "["), items, tok("CBrack", "]"));
}

function forDoc(node: ForNode): Doc {
  const body: Doc[] = [...node.head, expressionDoc(node.collection, "free"), tok("Colon", ":")];
  const result: Doc[] = node.key
    ? [expressionDoc(node.key, "free"), tok("FatArrow", "=>"), expressionDoc(node.value, "free")]
    : [expressionDoc(node.value, "free")];
  if (node.grouping) result.push(tok("Ellipsis", "..."));
  // No indent after the first line: terraform fmt indents by brackets only.
  const parts: Doc[] = [group(body), softline, group(result)];
  if (node.condition) parts.push(softline, tok("Ident", "if"), expressionDoc(node.condition, "free"));
  const [open, close] = node.object
    ? [tok("OBrace", "{"), tok("CBrace", "}")]
    : [tok("OBrack", "["), tok("CBrack", "]")];
  return group([open, indent([softline, parts]), softline, close]);
}

/** References and literals: short, and clearer on one line with the text around them. */
function isSimple(node: Node): boolean {
  if (node.kind === "term") return true;
  if (node.kind === "traversal")
    return isSimple(node.root) && node.steps.every((s) => s.kind === "tokens" || isSimple(s.expr));
  return false;
}

function isSimpleOrLiteral(node: Node): boolean {
  return isSimple(node) || (node.kind === "template" && node.parts.every((p) => p.kind === "literal"));
}

function templatePartDoc(part: TemplatePart): Doc {
  switch (part.kind) {
    case "literal":
      return part.token;
    case "control":
      return [part.open, ...part.tokens, part.close];
    case "interp":
      // A break inside `${ }` is legal but hard to read: simple references break only past MAX_LINE.
      return group(
        [part.open, indent([softline, expressionDoc(part.expr, "free")]), softline, part.close],
        isSimple(part.expr) ? MAX_LINE : undefined,
      );
  }
}

export function templateDoc(parts: TemplatePart[]): Doc {
  return [tok("OQuote", '"'), ...parts.map(templatePartDoc), tok("CQuote", '"')];
}

/**
 * `cond ? a : b` broken as `cond`, `? a`, `: b`; a chain of conditionals in the else branch as one
 * `cond ? value` pair per line and the last `: value`.
 */
function conditionalDoc(node: Node & { kind: "conditional" }): Doc {
  if (node.else.kind !== "conditional") {
    const then: Node = node.then.kind === "conditional" ? { kind: "paren", expr: node.then } : node.then;
    return group([
      expressionDoc(node.cond, "free"),
      softline,
      tok("Question", "?"),
      expressionDoc(then, "free"),
      softline,
      tok("Colon", ":"),
      expressionDoc(node.else, "free"),
    ]);
  }
  const parts: Doc[] = [];
  let n: Node = node;
  while (n.kind === "conditional") {
    // a ? (b ? c : d) : e reads as what it is; without the parentheses a broken one does not.
    const then: Node = n.then.kind === "conditional" ? { kind: "paren", expr: n.then } : n.then;
    parts.push(
      group([expressionDoc(n.cond, "free"), softline, tok("Question", "?"), expressionDoc(then, "free")]),
      softline,
      tok("Colon", ":"),
    );
    n = n.else;
  }
  parts.push(expressionDoc(n, "free"));
  return group(parts);
}

function binaryDoc(node: Node & { kind: "binary" }): Doc {
  const parts: Doc[] = [expressionDoc(node.operands[0]!, "free")];
  node.ops.forEach((op, i) => parts.push(softline, op, expressionDoc(node.operands[i + 1]!, "free")));
  return group(parts);
}

/** Wraps a doc that may only break where newlines are free in parentheses when it breaks. */
function parenthesizedWhenBroken(doc: Doc): Doc {
  return group([ifBreak(tok("OParen", "(")), indent([softline, doc]), softline, ifBreak(tok("CParen", ")"))]);
}

export function expressionDoc(node: Node, context: Context): Doc {
  switch (node.kind) {
    case "term":
      return node.tokens;
    case "traversal":
      return [
        expressionDoc(node.root, context),
        ...node.steps.map((s) =>
          s.kind === "tokens"
            ? s.tokens
            : [tok("OBrack", "["), expressionDoc(s.expr, "free"), tok("CBrack", "]")],
        ),
      ];
    case "call": {
      const open = tok("OParen", "(");
      const close = tok("CParen", ")");
      const args = node.args.map((a) => expressionDoc(a, "free"));
      if (node.ellipsis) args[args.length - 1] = [args[args.length - 1]!, tok("Ellipsis", "...")];
      // f({ ... }), f([ ... ]), f(g(...)): the argument's brackets break, not the call's.
      const only = node.args.length === 1 ? node.args[0]! : undefined;
      if (only && (isCollection(only) || only.kind === "call")) return [...node.name, open, args[0]!, close];
      // f(a, "b", [ ... ]): short arguments stay on the first line, the last one's brackets break.
      const last = node.args[node.args.length - 1];
      const leading = node.args.slice(0, -1);
      if (
        last &&
        !node.ellipsis &&
        leading.length > 0 &&
        isCollection(last) &&
        leading.every(isSimpleOrLiteral)
      ) {
        return [...node.name, open, join(comma, args.slice(0, -1)), comma, args[args.length - 1]!, close];
      }
      return [...node.name, bracketed(open, args, close, !node.ellipsis)];
    }
    case "tuple":
      return tupleDoc(
        node.items.map((i) => expressionDoc(i, "free")),
        node.items.length === 1 && node.items[0]!.kind === "object",
      );
    case "object":
      return objectDoc(node.items.map(objectItem));
    case "for":
      return forDoc(node);
    case "paren":
      return group([
        tok("OParen", "("),
        indent([softline, expressionDoc(node.expr, "free")]),
        softline,
        tok("CParen", ")"),
      ]);
    case "template":
      return templateDoc(node.parts);
    case "unary":
      return [node.op, expressionDoc(node.operand, context)];
    case "binary":
      return context === "free" ? binaryDoc(node) : parenthesizedWhenBroken(binaryDoc(node));
    case "conditional":
      return context === "free" ? conditionalDoc(node) : parenthesizedWhenBroken(conditionalDoc(node));
  }
}
