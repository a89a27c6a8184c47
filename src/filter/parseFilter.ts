import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { Filter, FilterNode } from './Filter.js';

/**
 * Parses an OSGi/LDAP filter string (RFC 1960 syntax): `(attr=value)`, `(attr>=n)`, `(attr<=n)`,
 * `(attr~=value)`, `(attr=*)`, `(attr=pre*mid*post)`, `(&...)`, `(|...)`, `(!...)`.
 * `\` escapes `(`, `)`, `*` and `\` in values.
 *
 * @throws LatticeError FILTER_INVALID naming the position of the problem.
 */
export function parseFilter(text: string): Filter {
  if (typeof text !== 'string') {
    throw new LatticeError(ErrorCode.FILTER_INVALID, `A filter must be a string such as "(role=primary)", got ${typeof text}.`, {
      filter: text,
    });
  }
  const parser = new FilterParser(text);
  const root = parser.parseTop();
  return { text, root };
}

/** How deep `(&...)`, `(|...)` and `(!...)` may nest. */
export const MAX_FILTER_DEPTH = 100;

class FilterParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseTop(): FilterNode {
    this.skipSpaces();
    if (this.text.length === 0 || this.pos === this.text.length) this.fail('the filter is empty; write e.g. "(role=primary)"');
    const node = this.parseFilter();
    this.skipSpaces();
    if (this.pos !== this.text.length) this.fail(`unexpected "${this.text.slice(this.pos)}" after the end of the filter`);
    return node;
  }

  private parseFilter(depth = 1): FilterNode {
    this.skipSpaces();
    // Parsing and matching recurse: a filter nested absurdly deep must be an error, not a stack overflow.
    if (depth > MAX_FILTER_DEPTH) this.fail(`the filter nests more than ${MAX_FILTER_DEPTH} levels deep; write it flatter`);
    this.expect('(');
    this.skipSpaces();
    let node: FilterNode;
    const c = this.peek();
    if (c === '&' || c === '|') {
      this.pos++;
      const filters: FilterNode[] = [];
      this.skipSpaces();
      while (this.peek() === '(') {
        filters.push(this.parseFilter(depth + 1));
        this.skipSpaces();
      }
      if (filters.length === 0) this.fail(`"${c}" needs at least one sub-filter, e.g. (${c}(a=1)(b=2))`);
      node = { op: c === '&' ? 'and' : 'or', filters };
    } else if (c === '!') {
      this.pos++;
      node = { op: 'not', filter: this.parseFilter(depth + 1) };
      this.skipSpaces();
    } else {
      node = this.parseItem();
    }
    this.expect(')');
    return node;
  }

  private parseItem(): FilterNode {
    const start = this.pos;
    while (this.pos < this.text.length && !'=<>~()'.includes(this.text.charAt(this.pos))) this.pos++;
    const attr = this.text.slice(start, this.pos).trim();
    if (attr === '') this.fail('expected an attribute name, e.g. (role=primary)');
    let op: 'eq' | 'approx' | 'gte' | 'lte';
    if (this.text.startsWith('=', this.pos)) {
      op = 'eq';
      this.pos += 1;
    } else if (this.text.startsWith('~=', this.pos)) {
      op = 'approx';
      this.pos += 2;
    } else if (this.text.startsWith('>=', this.pos)) {
      op = 'gte';
      this.pos += 2;
    } else if (this.text.startsWith('<=', this.pos)) {
      op = 'lte';
      this.pos += 2;
    } else {
      this.fail(`expected "=", "~=", ">=" or "<=" after "${attr}"`);
    }
    const parts = this.parseValue();
    if (op === 'eq' && parts.length === 2 && parts[0] === '' && parts[1] === '') return { op: 'present', attr };
    if (parts.length > 1) {
      if (op !== 'eq') this.fail(`"*" wildcards work only with "=", not in (${attr}${opText(op)}...)`);
      return { op: 'substring', attr, parts };
    }
    return { op, attr, value: parts[0] ?? '' };
  }

  /** Reads a value up to the closing parenthesis; returns the pieces between unescaped stars. */
  private parseValue(): string[] {
    const parts: string[] = [];
    let current = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('missing ")" at the end of the value');
      const c = this.text.charAt(this.pos);
      if (c === ')') break;
      if (c === '(') this.fail('unescaped "(" in a value; write it as "\\("');
      if (c === '\\') {
        if (this.pos + 1 >= this.text.length) this.fail('"\\" at the end of the filter escapes nothing');
        current += this.text.charAt(this.pos + 1);
        this.pos += 2;
        continue;
      }
      if (c === '*') {
        parts.push(current);
        current = '';
      } else {
        current += c;
      }
      this.pos++;
    }
    parts.push(current);
    return parts;
  }

  private expect(char: string): void {
    if (this.peek() !== char) {
      const found = this.pos < this.text.length ? `"${this.peek()}"` : 'the end of the filter';
      this.fail(`expected "${char}" but found ${found}`);
    }
    this.pos++;
  }

  private peek(): string {
    return this.text.charAt(this.pos);
  }

  private skipSpaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  private fail(reason: string): never {
    throw new LatticeError(
      ErrorCode.FILTER_INVALID,
      `Invalid filter "${this.text}" at position ${this.pos + 1}: ${reason}.`,
      { filter: this.text, position: this.pos + 1 },
    );
  }
}

function opText(op: 'eq' | 'approx' | 'gte' | 'lte'): string {
  return { eq: '=', approx: '~=', gte: '>=', lte: '<=' }[op];
}
