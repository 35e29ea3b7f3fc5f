/**
 * Canonical formatting of laid-out lines by the rules of `terraform fmt` (hclwrite's format.go:
 * formatSpaces, formatIndent, formatCells), so the output is canonical by construction rather than
 * by imitation.
 */
import { layout, type Doc, type HeredocToken } from "./doc.js";
import type { Token } from "./lexer.js";
import { bracketChange, columns, spaceAfter } from "./spacing.js";

interface FormatLine {
  readonly tokens: Token[];
  indent: number;
  /** Index of the `=` that starts the line's assign cell, or -1. */
  assign: number;
  /** Spaces before the `=` (alignment). */
  assignSpaces: number;
}

function netBrackets(tokens: Token[]): number {
  let net = 0;
  for (const t of tokens) {
    net += bracketChange(t);
    if (t.type === "OHeredoc") break;
  }
  return net;
}

/** hclwrite's formatIndent: two spaces per bracket level opened on earlier lines. */
function formatIndent(lines: FormatLine[]): void {
  const indents: number[] = [];
  for (const line of lines) {
    if (line.tokens.length === 0) continue;
    const net = netBrackets(line.tokens);
    if (net > 0) {
      line.indent = 2 * indents.length;
      indents.push(net);
    } else {
      let closed = -net;
      while (closed > 0 && indents.length > 0) {
        const top = indents[indents.length - 1]!;
        if (closed >= top) {
          closed -= top;
          indents.pop();
        } else {
          indents[indents.length - 1] = top - closed;
          closed = 0;
        }
      }
      line.indent = 2 * indents.length;
    }
  }
}

function lineColumns(tokens: Token[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    if (i > from && spaceAfter(tokens[i - 1]!, tokens[i - 2], tokens[i]!)) n += 1;
    n += columns(tokens[i]!.text);
  }
  return n;
}

/** hclwrite's formatCells: the `=` of consecutive single-line assignments in one column. */
function formatCells(lines: FormatLine[]): void {
  let chain: FormatLine[] = [];
  const close = () => {
    const widest = Math.max(...chain.map((l) => l.indent + lineColumns(l.tokens, 0, l.assign)));
    for (const l of chain) l.assignSpaces = widest - (l.indent + lineColumns(l.tokens, 0, l.assign)) + 1;
    chain = [];
  };
  for (const line of lines) {
    const eq = line.tokens.findIndex((t, i) => i > 0 && t.type === "Equal");
    if (eq > 0 && netBrackets(line.tokens.slice(eq)) === 0) line.assign = eq;
    if (line.assign < 0) {
      if (chain.length > 0) close();
    } else {
      chain.push(line);
    }
  }
  if (chain.length > 0) close();
}

function renderLine(line: FormatLine): string {
  const { tokens } = line;
  if (tokens.length === 0) return "";
  let out = " ".repeat(line.indent);
  tokens.forEach((t, i) => {
    if (i === line.assign) out += " ".repeat(line.assignSpaces);
    else if (i > 0 && spaceAfter(tokens[i - 1]!, tokens[i - 2], t)) out += " ";
    out += t.text;
    if (t.type === "OHeredoc") {
      const body = (t as HeredocToken).lines.map((l) => (l === "" ? "" : " ".repeat(line.indent + 2) + l));
      out += ["", ...body, " ".repeat(line.indent) + "EOT"].join("\n");
    }
  });
  return out;
}

/** The text of `doc`, laid out in `width` columns and formatted as `terraform fmt` would. */
export function print(doc: Doc, width: number): string {
  const lines: FormatLine[] = layout(doc, width).map((tokens) => ({
    tokens,
    indent: 0,
    assign: -1,
    assignSpaces: 1,
  }));
  formatIndent(lines);
  formatCells(lines);
  return lines.map(renderLine).join("\n");
}
