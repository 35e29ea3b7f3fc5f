/**
 * A lexer for the HCL native syntax of expressions and templates, with the token types of
 * hclsyntax: the formatter decides spaces, indents and alignment by token type the way
 * `terraform fmt` (hclwrite) does, so the types must be the same ones.
 */

export type TokenType =
  | "OBrace"
  | "CBrace"
  | "OBrack"
  | "CBrack"
  | "OParen"
  | "CParen"
  | "OQuote"
  | "CQuote"
  | "OHeredoc"
  | "CHeredoc"
  | "TemplateInterp"
  | "TemplateControl"
  | "TemplateSeqEnd"
  | "QuotedLit"
  | "StringLit"
  | "NumberLit"
  | "Ident"
  | "Comment"
  | "Dot"
  | "Comma"
  | "Ellipsis"
  | "DoubleColon"
  | "Equal"
  | "Colon"
  | "Question"
  | "FatArrow"
  | "Plus"
  | "Minus"
  | "Star"
  | "Slash"
  | "Percent"
  | "And"
  | "Or"
  | "Bang"
  | "EqualOp"
  | "NotEqual"
  | "LessThan"
  | "GreaterThan"
  | "LessThanEq"
  | "GreaterThanEq"
  | "Newline";

export interface Token {
  readonly type: TokenType;
  /** The token's source text, as it is printed. */
  readonly text: string;
}

export class HclSyntaxError extends Error {}

const PUNCTUATION: [string, TokenType][] = [
  ["...", "Ellipsis"],
  ["::", "DoubleColon"],
  ["=>", "FatArrow"],
  ["==", "EqualOp"],
  ["!=", "NotEqual"],
  ["<=", "LessThanEq"],
  [">=", "GreaterThanEq"],
  ["&&", "And"],
  ["||", "Or"],
  ["(", "OParen"],
  [")", "CParen"],
  ["[", "OBrack"],
  ["]", "CBrack"],
  [",", "Comma"],
  [".", "Dot"],
  [":", "Colon"],
  ["?", "Question"],
  ["=", "Equal"],
  ["!", "Bang"],
  ["<", "LessThan"],
  [">", "GreaterThan"],
  ["+", "Plus"],
  ["-", "Minus"],
  ["*", "Star"],
  ["/", "Slash"],
  ["%", "Percent"],
];

const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;

/**
 * How the literal parts of a template are written. `native`: the source is HCL native syntax
 * already (a quoted string inside an expression), copied as is. `json`: the text of a JSON string,
 * a template whose literal parts have no backslash escapes, so quotes, backslashes and control
 * characters are escaped for a native quoted string; `$${` and `%%{` mean the same in both.
 * `literal`: the string is not a template at all (JSON strings Terraform decodes without an
 * evaluation context: variable defaults, descriptions), so `${` and `%{` are escaped too.
 */
export type LiteralMode = "native" | "json" | "literal";

/** Escapes text for the inside of a native quoted string. */
export function escapeQuoted(text: string, mode: "json" | "literal"): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = c.charCodeAt(0);
    if (c === "\\") out += "\\\\";
    else if (c === '"') out += '\\"';
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if (mode === "literal" && (c === "$" || c === "%") && text[i + 1] === "{") out += c + c;
    else out += c;
  }
  return out;
}

class Lexer {
  readonly tokens: Token[] = [];
  private pos = 0;

  constructor(private readonly src: string) {}

  private push(type: TokenType, text: string): void {
    this.tokens.push({ type, text });
    this.pos += text.length;
  }

  private fail(message: string): never {
    throw new HclSyntaxError(`${message} at offset ${this.pos} of ${JSON.stringify(this.src)}`);
  }

  /** Template text up to the end of the source (a JSON string's content). */
  template(mode: "json"): void {
    this.templateBody(mode, false);
    if (this.pos < this.src.length) this.fail("unexpected end of template");
  }

  /** An expression that runs to the end of the source. */
  expression(): void {
    this.expressionBody(false);
    if (this.pos < this.src.length) this.fail("unexpected closing brace");
  }

  /**
   * Literal text and `${ }` / `%{ }` sequences, until the closing quote of a native string (when
   * `quoted`) or the end of the source.
   */
  private templateBody(mode: LiteralMode, quoted: boolean): void {
    let literal = "";
    const flush = () => {
      if (literal === "") return;
      const text = mode === "native" ? literal : escapeQuoted(literal, "json");
      this.tokens.push({ type: "QuotedLit", text });
      literal = "";
    };
    while (this.pos < this.src.length) {
      const rest = this.src.slice(this.pos, this.pos + 3);
      if (rest.startsWith("$${") || rest.startsWith("%%{")) {
        literal += rest;
        this.pos += 3;
      } else if (rest.startsWith("${") || rest.startsWith("%{")) {
        flush();
        const strip = rest[2] === "~" ? "~" : "";
        this.push(rest[0] === "$" ? "TemplateInterp" : "TemplateControl", rest.slice(0, 2) + strip);
        if (!this.expressionBody(true)) this.fail("unterminated template sequence");
      } else if (quoted && rest[0] === '"') {
        flush();
        return;
      } else if (quoted && rest[0] === "\\") {
        const escape = /\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/y;
        escape.lastIndex = this.pos;
        const m = escape.exec(this.src);
        if (!m) this.fail("bad escape");
        literal += m[0];
        this.pos += m[0].length;
      } else if (quoted && rest[0] === "\n") {
        this.fail("newline in a quoted string");
      } else {
        literal += rest[0];
        this.pos += 1;
      }
    }
    flush();
  }

  /**
   * Expression tokens until the `}` (or `~}`) that closes the template sequence we are in (when
   * `inTemplate`), or the end of the source. Returns whether it found that `}`.
   */
  private expressionBody(inTemplate: boolean): boolean {
    let braces = 0;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      const two = this.src.slice(this.pos, this.pos + 2);
      if (c === " " || c === "\t" || c === "\r") {
        this.pos += 1;
      } else if (c === "\n") {
        this.push("Newline", "\n");
      } else if (c === "#" || two === "//" || two === "/*") {
        this.fail("comments in expressions are not supported");
      } else if (two === "<<") {
        this.fail("heredocs in expressions are not supported");
      } else if (c === "{") {
        braces += 1;
        this.push("OBrace", "{");
      } else if (c === "}" || two === "~}") {
        if (braces === 0) {
          if (!inTemplate) this.fail("unbalanced closing brace");
          this.push("TemplateSeqEnd", c === "~" ? "~}" : "}");
          return true;
        }
        if (c === "~") this.fail("unexpected ~");
        braces -= 1;
        this.push("CBrace", "}");
      } else if (c === '"') {
        this.push("OQuote", '"');
        this.templateBody("native", true);
        if (this.src[this.pos] !== '"') this.fail("unterminated string");
        this.push("CQuote", '"');
      } else if (/[0-9]/.test(c)) {
        NUMBER.lastIndex = this.pos;
        this.push("NumberLit", NUMBER.exec(this.src)![0]);
      } else if (/[A-Za-z_]/.test(c)) {
        IDENT.lastIndex = this.pos;
        this.push("Ident", IDENT.exec(this.src)![0]);
      } else {
        const p = PUNCTUATION.find(([text]) => this.src.startsWith(text, this.pos));
        if (!p) this.fail(`unexpected character ${JSON.stringify(c)}`);
        this.push(p[1], p[0]);
      }
    }
    return false;
  }
}

/** The tokens of an HCL expression (the inside of `${ }`, or a raw expression such as a type). */
export function lexExpression(src: string): Token[] {
  const lexer = new Lexer(src);
  lexer.expression();
  return lexer.tokens;
}

/** The tokens of the content of a JSON string, which Terraform reads as a template. */
export function lexJsonTemplate(src: string): Token[] {
  const lexer = new Lexer(src);
  lexer.template("json");
  return lexer.tokens;
}
