/**
 * Line breaking and canonical formatting. The printer builds a document of tokens, groups and
 * possible line breaks (Wadler's pretty printer, as prettier implements it); the layout breaks a
 * group only when it does not fit in the width. The lines it produces are then spaced, indented
 * and aligned by the rules of `terraform fmt` (hclwrite's format.go: formatSpaces, formatIndent,
 * formatCells), so the output is canonical by construction rather than by imitation.
 */
import type { Token } from "./lexer.js";

/** A token the formatter treats as a heredoc opener (`<<-EOT`) followed by its lines. */
export interface HeredocToken extends Token {
  readonly type: "OHeredoc";
  readonly lines: string[];
}

export type Doc = Token | HeredocToken | Line | Group | Indent | IfBreak | Doc[];

interface Line {
  readonly kind: "line";
  /** A hard line always breaks (and so breaks the groups around it). */
  readonly hard: boolean;
}
interface Group {
  readonly kind: "group";
  readonly contents: Doc;
  shouldBreak: boolean;
  /** The width this group must fit in to stay flat, when not the layout's. */
  readonly width?: number;
}
interface Indent {
  readonly kind: "indent";
  readonly contents: Doc;
}
interface IfBreak {
  readonly kind: "ifBreak";
  readonly breakContents: Doc;
  readonly flatContents: Doc;
}

/** Nothing when its group is flat, a line break when it breaks (spaces come from the token rules). */
export const softline: Doc = { kind: "line", hard: false };
export const hardline: Doc = { kind: "line", hard: true };

export function group(contents: Doc, width?: number): Doc {
  return { kind: "group", contents, shouldBreak: false, width };
}
export function indent(contents: Doc): Doc {
  return { kind: "indent", contents };
}
export function ifBreak(breakContents: Doc, flatContents: Doc = []): Doc {
  return { kind: "ifBreak", breakContents, flatContents };
}
export function tok(type: Token["type"], text: string): Token {
  return { type, text };
}
export function join(separator: Doc, docs: Doc[]): Doc[] {
  return docs.flatMap((d, i) => (i === 0 ? [d] : [separator, d]));
}

function isToken(doc: Doc): doc is Token {
  return !Array.isArray(doc) && "type" in doc;
}

/** Marks every group that contains a hard line as broken; returns whether `doc` contains one. */
function propagateBreaks(doc: Doc): boolean {
  if (Array.isArray(doc)) return doc.map(propagateBreaks).some(Boolean);
  // A heredoc breaks its line too, but appears only as the broken form of an ifBreak.
  if (isToken(doc)) return false;
  switch (doc.kind) {
    case "line":
      return doc.hard;
    case "group":
      doc.shouldBreak = propagateBreaks(doc.contents) || doc.shouldBreak;
      return doc.shouldBreak;
    case "indent":
      return propagateBreaks(doc.contents);
    case "ifBreak":
      return propagateBreaks(doc.breakContents) || propagateBreaks(doc.flatContents);
  }
}

const IN_KEYWORD = "in";

function bracketChange(t: Token): number {
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

function columns(text: string): number {
  return [...text].length;
}

type Mode = "flat" | "break";
interface Command {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
}

/** A line under construction: its tokens and the width they take so far. */
class LineState {
  tokens: Token[] = [];
  width: number;
  constructor(readonly indent: number) {
    this.width = indent;
  }
  /** The width `t` adds after the tokens `last` and `beforeLast`. */
  static widthOf(t: Token, last: Token | undefined, beforeLast: Token | undefined): number {
    const space = last !== undefined && spaceAfter(last, beforeLast, t) ? 1 : 0;
    return space + columns(t.text);
  }
  add(t: Token): void {
    this.width += LineState.widthOf(
      t,
      this.tokens[this.tokens.length - 1],
      this.tokens[this.tokens.length - 2],
    );
    this.tokens.push(t);
  }
}

/** Whether `next` fits flat on the rest of the line (prettier's `fits`). */
function fits(next: Command, rest: Command[], line: LineState, width: number): boolean {
  let remaining = width - line.width;
  let last = line.tokens[line.tokens.length - 1];
  let beforeLast = line.tokens[line.tokens.length - 2];
  let restIndex = rest.length;
  const cmds: Command[] = [next];
  while (remaining >= 0) {
    if (cmds.length === 0) {
      if (restIndex === 0) return true;
      cmds.push(rest[--restIndex]!);
      continue;
    }
    const { mode, doc, indent: ind } = cmds.pop()!;
    if (Array.isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) cmds.push({ indent: ind, mode, doc: doc[i]! });
    } else if (isToken(doc)) {
      remaining -= LineState.widthOf(doc, last, beforeLast);
      beforeLast = last;
      last = doc;
      if (doc.type === "OHeredoc") return remaining >= 0;
    } else if (doc.kind === "line") {
      if (mode === "break" || doc.hard) return true;
    } else if (doc.kind === "group") {
      cmds.push({ indent: ind, mode: doc.shouldBreak ? "break" : mode, doc: doc.contents });
    } else if (doc.kind === "indent") {
      cmds.push({ indent: ind + 2, mode, doc: doc.contents });
    } else {
      cmds.push({ indent: ind, mode, doc: mode === "break" ? doc.breakContents : doc.flatContents });
    }
  }
  return false;
}

/** Lays `doc` out in lines of at most `width` columns where its groups allow. */
export function layout(doc: Doc, width: number): Token[][] {
  propagateBreaks(doc);
  const lines: Token[][] = [];
  let line = new LineState(0);
  const cmds: Command[] = [{ indent: 0, mode: "break", doc }];
  while (cmds.length > 0) {
    const cmd = cmds.pop()!;
    const { doc: d, mode, indent: ind } = cmd;
    if (Array.isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) cmds.push({ indent: ind, mode, doc: d[i]! });
    } else if (isToken(d)) {
      line.add(d);
    } else if (d.kind === "line") {
      if (mode === "break" || d.hard) {
        lines.push(line.tokens);
        line = new LineState(ind);
      }
    } else if (d.kind === "group") {
      const flat: Command = { indent: ind, mode: "flat", doc: d.contents };
      const flatFits = !d.shouldBreak && fits(flat, cmds, line, d.width ?? width);
      cmds.push(flatFits ? flat : { ...flat, mode: "break" });
    } else if (d.kind === "indent") {
      cmds.push({ indent: ind + 2, mode, doc: d.contents });
    } else {
      cmds.push({ indent: ind, mode, doc: mode === "break" ? d.breakContents : d.flatContents });
    }
  }
  lines.push(line.tokens);
  return lines;
}

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
