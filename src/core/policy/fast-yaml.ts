// A fast reader for the plain block-style YAML that policies are written in (nested mappings and
// sequences, plain and quoted scalars, one-line flow lists and maps of scalars, comments). The `yaml`
// library needs ~1 s for a 10,000-endpoint (760 KB) policy because it builds a full node tree with
// positions; this reads the same text into plain values in one pass. It is only an accelerator: on
// anything outside that subset (anchors, tags, block scalars, multi-line scalars, unusual number or
// boolean spellings, duplicate keys, tabs…) it declines, and the caller uses the full parser, which
// also owns every error message and position. A differential test holds it to the full parser's values.

export const EMPTY = Symbol('empty'); // "key:" with nothing after it (distinct from an explicit null)

export type FastValue = null | boolean | number | string | typeof EMPTY | FastValue[] | { [key: string]: FastValue };

class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

interface Line {
  indent: number;
  text: string;
}

const MAX_DEPTH = 64;

export function readBlockYaml(source: string): FastValue | undefined {
  try {
    const lines = splitLines(source);
    if (lines.length === 0) return undefined;
    const reader = new Reader(lines);
    const value = reader.node(0, 0);
    if (reader.i !== lines.length) decline();
    return value;
  } catch (error) {
    if (error instanceof Decline) return undefined;
    throw error;
  }
}

function splitLines(source: string): Line[] {
  if (source.includes('\r') || source.includes('\t') || source.charCodeAt(0) === 0xfeff) decline();
  const out: Line[] = [];
  let first = true;
  for (const raw of source.split('\n')) {
    let indent = 0;
    while (raw.charCodeAt(indent) === 0x20) indent++;
    const text = stripComment(raw.slice(indent));
    if (text === '') continue;
    if (indent === 0 && (text.startsWith('---') || text.startsWith('...') || text.startsWith('%'))) {
      if (first && text === '---') {
        first = false;
        continue;
      }
      decline();
    }
    first = false;
    out.push({ indent, text });
  }
  return out;
}

/** Drops a comment (a "#" at the start or after a blank, outside quotes) and trailing blanks. */
function stripComment(text: string): string {
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (c === quote) {
        if (quote === 0x27 && text.charCodeAt(i + 1) === 0x27) i++;
        else quote = 0;
      } else if (c === 0x5c && quote === 0x22) i++;
      continue;
    }
    if ((c === 0x22 || c === 0x27) && (i === 0 || /[\s[{,:-]/.test(text[i - 1]))) quote = c;
    else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) === 0x20)) return text.slice(0, i).trimEnd();
  }
  if (quote) decline(); // a quoted scalar spanning lines
  return text.trimEnd();
}

const isSeqItem = (text: string) => text === '-' || text.startsWith('- ');

class Reader {
  i = 0;
  constructor(private readonly lines: Line[]) {}

  node(minIndent: number, depth: number): FastValue {
    if (depth > MAX_DEPTH) decline();
    const line = this.lines[this.i];
    if (!line || line.indent < minIndent) return EMPTY;
    return isSeqItem(line.text) ? this.sequence(line.indent, depth) : this.mapping(line.indent, depth);
  }

  private sequence(indent: number, depth: number): FastValue[] {
    const out: FastValue[] = [];
    for (let line = this.lines[this.i]; line && line.indent === indent && isSeqItem(line.text); line = this.lines[this.i]) {
      const rest = line.text === '-' ? '' : line.text.slice(2);
      const pad = rest.length - rest.trimStart().length;
      const item = rest.trimStart();
      if (item === '') {
        this.i++;
        const next = this.lines[this.i];
        out.push(next && next.indent > indent ? this.node(next.indent, depth + 1) : EMPTY);
      } else if (isSeqItem(item)) {
        decline(); // "- - x": nested inline sequence
      } else if (keyEnd(item) >= 0) {
        // "- key: value": a mapping whose first entry sits on the item line.
        this.lines[this.i] = { indent: indent + 2 + pad, text: item };
        out.push(this.mapping(indent + 2 + pad, depth + 1));
      } else {
        this.i++;
        out.push(scalarOrFlow(item));
        this.noContinuation(indent);
      }
    }
    const stray = this.lines[this.i];
    if (stray && stray.indent > indent) decline();
    return out;
  }

  private mapping(indent: number, depth: number): { [key: string]: FastValue } {
    const out: { [key: string]: FastValue } = {};
    for (let line = this.lines[this.i]; line && line.indent === indent && !isSeqItem(line.text); line = this.lines[this.i]) {
      const end = keyEnd(line.text);
      if (end < 0) decline();
      const key = keyText(line.text.slice(0, end));
      if (Object.hasOwn(out, key)) decline();
      const rest = line.text.slice(end + 1).trimStart();
      this.i++;
      if (rest === '') {
        const next = this.lines[this.i];
        if (next && next.indent > indent) out[key] = this.node(next.indent, depth + 1);
        else if (next && next.indent === indent && isSeqItem(next.text)) out[key] = this.sequence(indent, depth + 1);
        else out[key] = EMPTY;
      } else {
        out[key] = scalarOrFlow(rest);
        this.noContinuation(indent);
      }
    }
    const stray = this.lines[this.i];
    if (stray && stray.indent > indent) decline();
    return out;
  }

  /** A deeper line right after an inline value would continue a multi-line scalar: not ours to read. */
  private noContinuation(indent: number): void {
    const next = this.lines[this.i];
    if (next && next.indent > indent) decline();
  }
}

/** Index of the ":" that ends a mapping key on this line, or -1 when the line is not "key: …". */
function keyEnd(text: string): number {
  const c = text.charCodeAt(0);
  if (c === 0x22 || c === 0x27) {
    const close = quotedEnd(text, 0);
    if (close < 0) decline();
    return text.charCodeAt(close + 1) === 0x3a && (close + 2 === text.length || text.charCodeAt(close + 2) === 0x20) ? close + 1 : -1;
  }
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x3a && (i + 1 === text.length || text.charCodeAt(i + 1) === 0x20)) return i;
  }
  return -1;
}

function keyText(raw: string): string {
  const key = raw.trimEnd();
  const c = key.charCodeAt(0);
  const text = c === 0x22 || c === 0x27 ? quoted(key) : plainString(key);
  if (text === '__proto__' || text === '<<' || text === '') decline();
  return text;
}

function quotedEnd(text: string, start: number): number {
  const q = text.charCodeAt(start);
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (q === 0x22 && c === 0x5c) {
      i++;
      continue;
    }
    if (c === q) {
      if (q === 0x27 && text.charCodeAt(i + 1) === 0x27) {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/** A whole quoted scalar (nothing may follow the closing quote). */
function quoted(text: string): string {
  const close = quotedEnd(text, 0);
  if (close !== text.length - 1) decline();
  const body = text.slice(1, -1);
  if (text[0] === "'") return body.replace(/''/g, "'");
  if (!body.includes('\\')) return body;
  return body.replace(/\\(.)/g, (_m, e: string) => ESCAPES[e] ?? decline());
}

const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;
const CORE_INT = /^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$/;
const CORE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;
const SPECIAL_WORD = /^(true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$/;

function plainString(text: string): string {
  if (INDICATOR.test(text) || text.includes(': ') || SPECIAL_WORD.test(text) || CORE_INT.test(text) || CORE_FLOAT.test(text)) decline();
  return text;
}

/** A plain scalar resolved by YAML 1.2's core schema, in the spellings we are sure of. */
function plain(text: string): FastValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~') return null;
  if (/^-?(0|[1-9][0-9]{0,14})$/.test(text)) return Number(text);
  return plainString(text);
}

function scalarOrFlow(text: string): FastValue {
  const c = text[0];
  if (c === '"' || c === "'") return quoted(text);
  if (c === '[') return flow(text, ']').map((item) => flowScalar(item));
  if (c === '{') {
    const out: { [key: string]: FastValue } = {};
    for (const entry of flow(text, '}')) {
      const end = keyEnd(entry);
      if (end < 0) decline();
      const key = keyText(entry.slice(0, end));
      if (Object.hasOwn(out, key)) decline();
      const value = entry.slice(end + 1).trim();
      out[key] = value === '' ? null : flowScalar(value);
    }
    return out;
  }
  return plain(text);
}

/** The comma-separated items of a one-line flow collection of scalars (no nesting). */
function flow(text: string, close: string): string[] {
  if (!text.endsWith(close)) decline();
  const body = text.slice(1, -1);
  const items: string[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '"' || ch === "'") {
      const end = quotedEnd(body, i);
      if (end < 0) decline();
      i = end;
    } else if (ch === '[' || ch === ']' || ch === '{' || ch === '}') decline();
    else if (ch === ',') {
      items.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = body.slice(start).trim();
  if (last !== '') items.push(last);
  else if (items.length > 0) decline(); // a trailing comma
  if (items.some((item) => item === '')) decline();
  return items;
}

function flowScalar(text: string): FastValue {
  const c = text[0];
  if (c === '"' || c === "'") return quoted(text);
  if (text.includes(':') || text.includes('#')) decline();
  return plain(text);
}
