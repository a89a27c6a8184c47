/** Where a JSON text first goes wrong, and what was expected there. */
export interface JsonSyntaxProblem {
  /** 0-based offset into the text. */
  readonly offset: number;
  readonly reason: string;
}

/**
 * Scans `text` as strict JSON (RFC 8259) and reports the first problem, or undefined if it parses.
 * JSON.parse's messages differ between Node versions and often carry no position; this gives one.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.skipSpace();
    if (scanner.atEnd()) return { offset: 0, reason: 'the file is empty; a JSON value (such as {}) was expected' };
    scanner.value();
    scanner.skipSpace();
    if (!scanner.atEnd()) scanner.fail('unexpected text after the end of the JSON value');
    return undefined;
  } catch (problem) {
    if (problem instanceof ProblemFound) return { offset: problem.offset, reason: problem.reason };
    throw problem;
  }
}

class ProblemFound extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

class Scanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && ' \t\n\r'.includes(this.text.charAt(this.pos))) this.pos++;
  }

  fail(reason: string, offset = this.pos): never {
    throw new ProblemFound(offset, reason);
  }

  value(): void {
    this.skipSpace();
    if (this.atEnd()) this.fail('unexpected end of the file; a value was expected');
    const c = this.text.charAt(this.pos);
    if (c === '{') this.object();
    else if (c === '[') this.array();
    else if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.number();
    else if (this.text.startsWith('true', this.pos)) this.pos += 4;
    else if (this.text.startsWith('false', this.pos)) this.pos += 5;
    else if (this.text.startsWith('null', this.pos)) this.pos += 4;
    else if (c === "'") this.fail('strings must use double quotes (") in JSON');
    else this.fail(`unexpected ${describe(c)}; a value (object, array, string, number, true, false or null) was expected`);
  }

  private object(): void {
    this.pos++;
    this.skipSpace();
    if (this.text.charAt(this.pos) === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      const c = this.text.charAt(this.pos);
      if (this.atEnd()) this.fail('unexpected end of the file inside an object; "}" is missing');
      if (c !== '"') this.fail(c === '}' ? 'trailing comma before "}"' : `expected a property name in double quotes, found ${describe(c)}`);
      this.string();
      this.skipSpace();
      if (this.text.charAt(this.pos) !== ':') this.fail(`expected ":" after the property name, found ${describe(this.text.charAt(this.pos))}`);
      this.pos++;
      this.value();
      if (this.closes('}', 'an object', 'a property value')) return;
    }
  }

  private array(): void {
    this.pos++;
    this.skipSpace();
    if (this.text.charAt(this.pos) === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.text.charAt(this.pos) === ']') this.fail('trailing comma before "]"');
      this.value();
      if (this.closes(']', 'an array', 'an array element')) return;
    }
  }

  /** After a member: a comma (false: another member follows) or the closing bracket (true). */
  private closes(close: '}' | ']', inside: string, member: string): boolean {
    this.skipSpace();
    const next = this.text.charAt(this.pos);
    if (next === ',' || next === close) {
      this.pos++;
      return next === close;
    }
    this.fail(this.atEnd() ? `unexpected end of the file inside ${inside}; "${close}" is missing` : `expected "," or "${close}" after ${member}, found ${describe(next)}`);
  }

  private string(): void {
    const start = this.pos;
    this.pos++;
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string; the closing " is missing', start);
      const c = this.text.charAt(this.pos);
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c === '\\') {
        const e = this.text.charAt(this.pos + 1);
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) this.fail('"\\u" must be followed by 4 hex digits');
          this.pos += 6;
        } else if ('"\\/bfnrt'.includes(e) && e !== '') {
          this.pos += 2;
        } else {
          this.fail(`invalid escape "\\${e}" in a string`);
        }
        continue;
      }
      if (c < ' ') this.fail('a line break or control character inside a string; write it as \\n or \\t');
      this.pos++;
    }
  }

  private number(): void {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos));
    if (!match) this.fail('invalid number');
    this.pos += match[0].length;
  }
}

function describe(c: string): string {
  if (c === '') return 'the end of the file';
  return `"${c}"`;
}

/** 1-based line and column of a 0-based offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charAt(i) === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
