// A GraphQL operation scanner: just enough of the executable-document grammar (GraphQL spec, October
// 2021) to tell which operation a request runs, its type and name, and the root fields it selects
// (aliases resolved to field names, root fragments expanded). Our own, rather than graphql-js: we need
// none of its schema machinery, and this one has hard bounds a proxy wants on hostile input — at most
// MAX_TOKENS tokens and MAX_DEPTH nesting (the limits upstream gives apollo-parser), one pass, recursion
// never deeper than MAX_DEPTH, so a pathological document costs a bounded, small amount of work.

export const MAX_TOKENS = 20_000;
export const MAX_DEPTH = 128;

export interface GraphqlOperation {
  operationType: 'query' | 'mutation' | 'subscription';
  operationName?: string;
  fields: string[];
}

type Selection = { kind: 'field'; name: string } | { kind: 'inline'; selections: Selection[] } | { kind: 'spread'; name: string };

interface OperationNode {
  type: GraphqlOperation['operationType'];
  name?: string;
  selections: Selection[];
}

class ScanError extends Error {}

enum T {
  Punct,
  Name,
  Number,
  String,
  End,
}

interface Token {
  kind: T;
  text: string;
}

/** Lexes the whole document up front (bounded by MAX_TOKENS), so the parser below never re-reads text. */
function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  const fail = (why: string): never => {
    throw new ScanError(`${why} at offset ${i}`);
  };
  while (i < n) {
    const c = source.charCodeAt(i);
    // Ignored tokens: BOM, whitespace, line terminators, commas, comments.
    if (c === 0xfeff || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2c) {
      i++;
      continue;
    }
    if (c === 0x23 /* # */) {
      while (i < n && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i++;
      continue;
    }
    if (tokens.length >= MAX_TOKENS) fail(`token limit of ${MAX_TOKENS} exceeded`);
    if (c === 0x2e /* . */) {
      if (source.startsWith('...', i)) {
        tokens.push({ kind: T.Punct, text: '...' });
        i += 3;
        continue;
      }
      fail("unexpected '.'");
    }
    if ('!$&()::=@[]{|}'.includes(source[i])) {
      tokens.push({ kind: T.Punct, text: source[i] });
      i++;
      continue;
    }
    if (isNameStart(c)) {
      const start = i;
      while (i < n && isNameContinue(source.charCodeAt(i))) i++;
      tokens.push({ kind: T.Name, text: source.slice(start, i) });
      continue;
    }
    if (c === 0x2d || isDigit(c)) {
      const start = i;
      if (c === 0x2d) i++;
      if (source.charCodeAt(i) === 0x30) i++;
      else if (isDigit(source.charCodeAt(i))) while (isDigit(source.charCodeAt(i))) i++;
      else fail('malformed number');
      if (source.charCodeAt(i) === 0x2e) {
        i++;
        if (!isDigit(source.charCodeAt(i))) fail('malformed number');
        while (isDigit(source.charCodeAt(i))) i++;
      }
      if (source.charCodeAt(i) === 0x65 || source.charCodeAt(i) === 0x45) {
        i++;
        if (source.charCodeAt(i) === 0x2b || source.charCodeAt(i) === 0x2d) i++;
        if (!isDigit(source.charCodeAt(i))) fail('malformed number');
        while (isDigit(source.charCodeAt(i))) i++;
      }
      const next = source.charCodeAt(i);
      if (next === 0x2e || isNameStart(next)) fail('malformed number');
      tokens.push({ kind: T.Number, text: source.slice(start, i) });
      continue;
    }
    if (c === 0x22 /* " */) {
      if (source.startsWith('"""', i)) {
        const end = blockStringEnd(source, i + 3);
        if (end < 0) fail('unterminated block string');
        tokens.push({ kind: T.String, text: '' });
        i = end + 3;
        continue;
      }
      i++;
      for (;;) {
        if (i >= n) fail('unterminated string');
        const s = source.charCodeAt(i);
        if (s === 0x0a || s === 0x0d) fail('unterminated string');
        if (s === 0x22) break;
        if (s === 0x5c) {
          const e = source[i + 1];
          if (e === 'u') {
            if (source[i + 2] === '{') {
              const close = source.indexOf('}', i + 3);
              if (close < 0 || !/^[0-9a-fA-F]{1,6}$/.test(source.slice(i + 3, close))) fail('invalid unicode escape');
              i = close + 1;
            } else {
              if (!/^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) fail('invalid unicode escape');
              i += 6;
            }
            continue;
          }
          if (!'"\\/bfnrt'.includes(e ?? '')) fail('invalid escape');
          i += 2;
          continue;
        }
        i++;
      }
      i++;
      tokens.push({ kind: T.String, text: '' });
      continue;
    }
    fail(`unexpected character ${JSON.stringify(source[i])}`);
  }
  tokens.push({ kind: T.End, text: '' });
  return tokens;
}

function blockStringEnd(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    if (source.charCodeAt(i) === 0x5c && source.startsWith('\\"""', i)) {
      i += 3;
      continue;
    }
    if (source.startsWith('"""', i)) return i;
  }
  return -1;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isNameStart = (c: number) => c === 0x5f || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isNameContinue = (c: number) => isNameStart(c) || isDigit(c);

class Parser {
  private i = 0;
  readonly operations: OperationNode[] = [];
  readonly fragments = new Map<string, Selection[]>();

  constructor(private readonly tokens: Token[]) {}

  private get peek(): Token {
    return this.tokens[this.i];
  }

  private fail(why: string): never {
    const t = this.peek;
    throw new ScanError(`${why}, found ${t.kind === T.End ? 'end of document' : JSON.stringify(t.text || '<string>')}`);
  }

  private isPunct(text: string): boolean {
    return this.peek.kind === T.Punct && this.peek.text === text;
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text)) this.fail(`expected '${text}'`);
    this.i++;
  }

  private name(): string {
    if (this.peek.kind !== T.Name) this.fail('expected a name');
    return this.tokens[this.i++].text;
  }

  document(): void {
    do this.definition();
    while (this.peek.kind !== T.End);
  }

  private definition(): void {
    if (this.isPunct('{')) {
      this.operations.push({ type: 'query', selections: this.selectionSet(1) });
      return;
    }
    const keyword = this.peek.kind === T.Name ? this.peek.text : '';
    if (keyword === 'query' || keyword === 'mutation' || keyword === 'subscription') {
      this.i++;
      const name = this.peek.kind === T.Name ? this.name() : undefined;
      if (this.isPunct('(')) this.variableDefinitions();
      this.directives(1);
      this.operations.push({ type: keyword, name, selections: this.selectionSet(1) });
      return;
    }
    if (keyword === 'fragment') {
      this.i++;
      const name = this.name();
      if (name === 'on') this.fail("a fragment cannot be named 'on'");
      if (this.name() !== 'on') {
        this.i--;
        this.fail("expected 'on'");
      }
      this.name();
      this.directives(1);
      const selections = this.selectionSet(1);
      if (this.fragments.has(name)) throw new ScanError(`fragment ${name} is defined twice`);
      this.fragments.set(name, selections);
      return;
    }
    // Type-system definitions cannot be executed; a server would refuse them, and so do we.
    this.fail('expected an executable definition (query, mutation, subscription, fragment or {)');
  }

  private selectionSet(depth: number): Selection[] {
    if (depth > MAX_DEPTH) throw new ScanError(`nesting deeper than ${MAX_DEPTH} levels`);
    this.expectPunct('{');
    const out: Selection[] = [];
    do out.push(this.selection(depth));
    while (!this.isPunct('}'));
    this.i++;
    return out;
  }

  private selection(depth: number): Selection {
    if (this.isPunct('...')) {
      this.i++;
      if (this.peek.kind === T.Name && this.peek.text !== 'on') {
        const name = this.name();
        this.directives(depth);
        return { kind: 'spread', name };
      }
      if (this.peek.kind === T.Name) {
        this.i++; // 'on'
        this.name();
      }
      this.directives(depth);
      return { kind: 'inline', selections: this.selectionSet(depth + 1) };
    }
    let name = this.name();
    if (this.isPunct(':')) {
      this.i++;
      name = this.name(); // an alias names the result, not the field that runs
    }
    if (this.isPunct('(')) this.arguments(depth);
    this.directives(depth);
    if (this.isPunct('{')) this.selectionSet(depth + 1);
    return { kind: 'field', name };
  }

  private arguments(depth: number): void {
    this.expectPunct('(');
    do {
      this.name();
      this.expectPunct(':');
      this.value(depth + 1);
    } while (!this.isPunct(')'));
    this.i++;
  }

  private directives(depth: number): void {
    while (this.isPunct('@')) {
      this.i++;
      this.name();
      if (this.isPunct('(')) this.arguments(depth);
    }
  }

  private variableDefinitions(): void {
    this.expectPunct('(');
    do {
      this.expectPunct('$');
      this.name();
      this.expectPunct(':');
      this.type(1);
      if (this.isPunct('=')) {
        this.i++;
        this.value(1);
      }
      this.directives(1);
    } while (!this.isPunct(')'));
    this.i++;
  }

  private type(depth: number): void {
    if (depth > MAX_DEPTH) throw new ScanError(`nesting deeper than ${MAX_DEPTH} levels`);
    if (this.isPunct('[')) {
      this.i++;
      this.type(depth + 1);
      this.expectPunct(']');
    } else this.name();
    if (this.isPunct('!')) this.i++;
  }

  private value(depth: number): void {
    if (depth > MAX_DEPTH) throw new ScanError(`nesting deeper than ${MAX_DEPTH} levels`);
    const t = this.peek;
    if (t.kind === T.Number || t.kind === T.String || t.kind === T.Name) {
      this.i++;
      return;
    }
    if (this.isPunct('$')) {
      this.i++;
      this.name();
      return;
    }
    if (this.isPunct('[')) {
      this.i++;
      while (!this.isPunct(']')) this.value(depth + 1);
      this.i++;
      return;
    }
    if (this.isPunct('{')) {
      this.i++;
      while (!this.isPunct('}')) {
        this.name();
        this.expectPunct(':');
        this.value(depth + 1);
      }
      this.i++;
      return;
    }
    this.fail('expected a value');
  }
}

export type ScanResult = { ok: true; operation: GraphqlOperation } | { ok: false; error: string };

/** The operation a document runs (chosen by operationName when several), with its root fields. */
export function scanGraphqlDocument(query: string, operationName?: string): ScanResult {
  let parser: Parser;
  try {
    parser = new Parser(lex(query));
    parser.document();
  } catch (error) {
    if (error instanceof ScanError) return { ok: false, error: `GraphQL document parse error: ${error.message}` };
    throw error;
  }
  const { operations, fragments } = parser;
  if (operations.length === 0) return { ok: false, error: 'GraphQL document contains no executable operation' };
  let selected: OperationNode | undefined;
  if (operationName) {
    selected = operations.find((op) => op.name === operationName);
    if (!selected) return { ok: false, error: `GraphQL operationName ${JSON.stringify(operationName)} was not found` };
  } else if (operations.length === 1) selected = operations[0];
  else return { ok: false, error: 'GraphQL document has multiple operations but no operationName' };

  const fields = new Set<string>();
  const visited = new Set<string>();
  const collect = (selections: Selection[]) => {
    for (const s of selections) {
      if (s.kind === 'field') fields.add(s.name);
      else if (s.kind === 'inline') collect(s.selections);
      else if (!visited.has(s.name)) {
        visited.add(s.name);
        const fragment = fragments.get(s.name);
        if (fragment) collect(fragment);
      }
    }
  };
  collect(selected.selections);
  return {
    ok: true,
    operation: {
      operationType: selected.type,
      ...(selected.name !== undefined ? { operationName: selected.name } : {}),
      fields: [...fields].sort(),
    },
  };
}
