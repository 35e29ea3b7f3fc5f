/**
 * Line breaking. The printer builds a document of tokens, groups and possible line breaks
 * (Wadler's pretty printer, as prettier implements it); the layout breaks a group only when it
 * does not fit in the width. format.ts then spaces, indents and aligns the lines it produces.
 */
import type { Token } from "./lexer.js";
import { columns, spaceAfter } from "./spacing.js";

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
