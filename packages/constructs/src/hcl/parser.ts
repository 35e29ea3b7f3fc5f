/**
 * Parses HCL expression tokens into the tree the printer lays out. It keeps every token as it
 * came (the printer changes only whitespace), and knows the structure only as far as line
 * breaking needs it: where brackets open and close, and where operators join operands.
 */
import { HclSyntaxError, type Token, type TokenType } from "./lexer.js";

export type Node =
  | { readonly kind: "term"; readonly tokens: Token[] }
  | { readonly kind: "traversal"; readonly root: Node; readonly steps: Step[] }
  | { readonly kind: "call"; readonly name: Token[]; readonly args: Node[]; readonly ellipsis: boolean }
  | { readonly kind: "tuple"; readonly items: Node[] }
  | { readonly kind: "object"; readonly items: ObjectItem[] }
  | ForNode
  | { readonly kind: "paren"; readonly expr: Node }
  | { readonly kind: "template"; readonly parts: TemplatePart[] }
  | { readonly kind: "unary"; readonly op: Token; readonly operand: Node }
  | { readonly kind: "binary"; readonly operands: Node[]; readonly ops: Token[] }
  | { readonly kind: "conditional"; readonly cond: Node; readonly then: Node; readonly else: Node };

export interface ForNode {
  readonly kind: "for";
  readonly object: boolean;
  /** `for k, v in` */
  readonly head: Token[];
  readonly collection: Node;
  readonly key?: Node;
  readonly value: Node;
  /** The `...` grouping mode of an object for expression. */
  readonly grouping: boolean;
  readonly condition?: Node;
}

/** `.name`, `.0`, `.*`, `[*]` (tokens) or `[expr]`. */
export type Step =
  { readonly kind: "tokens"; readonly tokens: Token[] } | { readonly kind: "index"; readonly expr: Node };

export interface ObjectItem {
  readonly key: Node;
  /** `=` or `:` */
  readonly separator: Token;
  readonly value: Node;
}

export type TemplatePart =
  | { readonly kind: "literal"; readonly token: Token }
  | { readonly kind: "interp"; readonly open: Token; readonly expr: Node; readonly close: Token }
  | { readonly kind: "control"; readonly open: Token; readonly tokens: Token[]; readonly close: Token };

const BINARY_LEVELS: TokenType[][] = [
  ["Or"],
  ["And"],
  ["EqualOp", "NotEqual"],
  ["LessThan", "GreaterThan", "LessThanEq", "GreaterThanEq"],
  ["Plus", "Minus"],
  ["Star", "Slash", "Percent"],
];

class Parser {
  private pos = 0;
  /** Inside an object constructor (and not in brackets within it) newlines separate items. */
  private newlines: boolean[] = [false];

  constructor(private readonly tokens: Token[]) {}

  private get newlineSensitive(): boolean {
    return this.newlines[this.newlines.length - 1]!;
  }

  private skipIgnoredNewlines(): void {
    if (this.newlineSensitive) return;
    while (this.tokens[this.pos]?.type === "Newline") this.pos += 1;
  }

  peek(): Token | undefined {
    this.skipIgnoredNewlines();
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.peek();
    if (!t) this.fail("unexpected end of expression");
    this.pos += 1;
    return t;
  }

  private expect(type: TokenType): Token {
    const t = this.next();
    if (t.type !== type) this.fail(`expected ${type}, found ${JSON.stringify(t.text)}`, -1);
    return t;
  }

  fail(message: string, offset = 0): never {
    const at = this.tokens
      .slice(0, this.pos + offset)
      .map((t) => t.text)
      .join(" ");
    throw new HclSyntaxError(`${message} after ${JSON.stringify(at.slice(-80))}`);
  }

  private within<T>(sensitive: boolean, fn: () => T): T {
    this.newlines.push(sensitive);
    try {
      return fn();
    } finally {
      this.newlines.pop();
    }
  }

  expression(): Node {
    const cond = this.binary(0);
    if (this.peek()?.type !== "Question") return cond;
    this.next();
    const then = this.expression();
    this.expect("Colon");
    return { kind: "conditional", cond, then, else: this.expression() };
  }

  private binary(level: number): Node {
    if (level === BINARY_LEVELS.length) return this.unary();
    const operands = [this.binary(level + 1)];
    const ops: Token[] = [];
    for (let t = this.peek(); t && BINARY_LEVELS[level]!.includes(t.type); t = this.peek()) {
      ops.push(this.next());
      operands.push(this.binary(level + 1));
    }
    return ops.length === 0 ? operands[0]! : { kind: "binary", operands, ops };
  }

  private unary(): Node {
    const t = this.peek();
    if (t?.type === "Bang" || t?.type === "Minus") {
      this.next();
      return { kind: "unary", op: t, operand: this.unary() };
    }
    return this.traversal(this.term());
  }

  private traversal(root: Node): Node {
    const steps: Step[] = [];
    for (;;) {
      const t = this.tokens[this.pos];
      if (t?.type === "Dot") {
        this.pos += 1;
        const name = this.next();
        if (name.type !== "Ident" && name.type !== "NumberLit" && name.type !== "Star")
          this.fail("expected an attribute name", -1);
        steps.push({ kind: "tokens", tokens: [t, name] });
      } else if (t?.type === "OBrack") {
        this.pos += 1;
        if (this.peek()?.type === "Star") {
          steps.push({ kind: "tokens", tokens: [t, this.next(), this.expect("CBrack")] });
        } else {
          const expr = this.within(false, () => this.expression());
          this.within(false, () => this.expect("CBrack"));
          steps.push({ kind: "index", expr });
        }
      } else {
        return steps.length === 0 ? root : { kind: "traversal", root, steps };
      }
    }
  }

  private term(): Node {
    const t = this.next();
    switch (t.type) {
      case "NumberLit":
        return { kind: "term", tokens: [t] };
      case "Ident":
        return this.identTerm(t);
      case "OParen": {
        const expr = this.within(false, () => {
          const e = this.expression();
          this.expect("CParen");
          return e;
        });
        return { kind: "paren", expr };
      }
      case "OQuote":
        return this.quoted();
      case "OBrack":
        return this.within(false, () => this.tuple());
      case "OBrace":
        return this.object();
      default:
        return this.fail(`unexpected ${JSON.stringify(t.text)}`, -1);
    }
  }

  private identTerm(first: Token): Node {
    const name = [first];
    while (this.tokens[this.pos]?.type === "DoubleColon") {
      name.push(this.next(), this.expect("Ident"));
    }
    if (this.tokens[this.pos]?.type !== "OParen") {
      if (name.length > 1) this.fail("expected a function call");
      return { kind: "term", tokens: name };
    }
    this.pos += 1;
    return this.within(false, () => {
      const args: Node[] = [];
      let ellipsis = false;
      while (this.peek()?.type !== "CParen") {
        args.push(this.expression());
        if (this.peek()?.type === "Ellipsis") {
          this.next();
          ellipsis = true;
          break;
        }
        if (this.peek()?.type !== "Comma") break;
        this.next();
      }
      this.expect("CParen");
      return { kind: "call", name, args, ellipsis };
    });
  }

  private quoted(): Node {
    const parts = this.templateParts("CQuote");
    this.expect("CQuote");
    return { kind: "template", parts };
  }

  /** Template parts until a token of type `end` (not consumed) or the end of the tokens. */
  templateParts(end?: TokenType): TemplatePart[] {
    const parts: TemplatePart[] = [];
    for (let t = this.tokens[this.pos]; t && t.type !== end; t = this.tokens[this.pos]) {
      this.pos += 1;
      if (t.type === "QuotedLit") {
        parts.push({ kind: "literal", token: t });
      } else if (t.type === "TemplateInterp") {
        const expr = this.within(false, () => this.expression());
        parts.push({
          kind: "interp",
          open: t,
          expr,
          close: this.within(false, () => this.expect("TemplateSeqEnd")),
        });
      } else if (t.type === "TemplateControl") {
        const inner: Token[] = [];
        while (this.tokens[this.pos] && this.tokens[this.pos]!.type !== "TemplateSeqEnd") {
          const token = this.tokens[this.pos++]!;
          if (token.type !== "Newline") inner.push(token);
        }
        parts.push({ kind: "control", open: t, tokens: inner, close: this.expect("TemplateSeqEnd") });
      } else {
        this.fail(`unexpected ${JSON.stringify(t.text)} in a template`, -1);
      }
    }
    return parts;
  }

  private isFor(): boolean {
    const t = this.peek();
    return t?.type === "Ident" && t.text === "for" && this.tokens[this.pos + 1]?.type === "Ident";
  }

  private tuple(): Node {
    if (this.isFor()) return this.forExpression(false);
    const items: Node[] = [];
    while (this.peek()?.type !== "CBrack") {
      items.push(this.expression());
      if (this.peek()?.type !== "Comma") break;
      this.next();
    }
    this.expect("CBrack");
    return { kind: "tuple", items };
  }

  private object(): Node {
    if (this.within(false, () => this.isFor())) return this.within(false, () => this.forExpression(true));
    return this.within(true, () => {
      const items: ObjectItem[] = [];
      const skipSeparators = () => {
        while (this.peek()?.type === "Newline" || this.peek()?.type === "Comma") this.pos += 1;
      };
      skipSeparators();
      while (this.peek()?.type !== "CBrace") {
        const key = this.expression();
        const separator = this.next();
        if (separator.type !== "Equal" && separator.type !== "Colon") this.fail("expected = or :", -1);
        items.push({ key, separator, value: this.expression() });
        const after = this.peek();
        if (after?.type !== "Newline" && after?.type !== "Comma" && after?.type !== "CBrace")
          this.fail("expected a newline or comma between object items");
        skipSeparators();
      }
      this.expect("CBrace");
      return { kind: "object", items };
    });
  }

  private forExpression(object: boolean): Node {
    const head = [this.next(), this.expect("Ident")];
    if (this.peek()?.type === "Comma") head.push(this.next(), this.expect("Ident"));
    const inKeyword = this.expect("Ident");
    if (inKeyword.text !== "in") this.fail("expected in", -1);
    head.push(inKeyword);
    const collection = this.expression();
    this.expect("Colon");
    let key: Node | undefined;
    let value = this.expression();
    let grouping = false;
    if (object) {
      this.expect("FatArrow");
      key = value;
      value = this.expression();
      if (this.peek()?.type === "Ellipsis") {
        this.next();
        grouping = true;
      }
    }
    let condition: Node | undefined;
    const t = this.peek();
    if (t?.type === "Ident" && t.text === "if") {
      this.next();
      condition = this.expression();
    }
    this.expect(object ? "CBrace" : "CBrack");
    return { kind: "for", object, head, collection, key, value, grouping, condition };
  }

  done(): boolean {
    return this.peek() === undefined;
  }
}

export function parseExpression(tokens: Token[]): Node {
  const p = new Parser(tokens);
  const node = p.expression();
  if (!p.done()) p.fail("unexpected tokens after the expression");
  return node;
}

/** A template's tokens (a JSON string's) as a template node. */
export function parseTemplate(tokens: Token[]): Node & { kind: "template" } {
  const p = new Parser(tokens);
  const parts = p.templateParts();
  if (!p.done()) p.fail("unexpected tokens after the template");
  return { kind: "template", parts };
}
