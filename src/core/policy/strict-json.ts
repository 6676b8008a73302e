// A strict JSON reader for request bodies the policy decides on (JSON-RPC, MCP, GraphQL envelopes).
// JSON.parse would do for well-formed input, but it keeps the *last* of two duplicate keys while other
// servers keep the first, so a body could be judged on one value and executed with another; it also
// accepts lone surrogates. This reader refuses both (as upstream's serde_json-based reader does), bounds
// nesting, and costs one pass over the text: no recursion deeper than MAX_JSON_DEPTH, no backtracking.

export const MAX_JSON_DEPTH = 128;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type StrictJsonResult = { ok: true; value: JsonValue } | { ok: false; error: string };

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes are decoded as UTF-8 (invalid sequences refused); a string must hold no lone surrogate. */
export function bodyText(body: Uint8Array | string): { ok: true; text: string } | { ok: false; error: string } {
  if (typeof body === 'string') {
    return hasLoneSurrogate(body) ? { ok: false, error: 'body is not valid UTF-8 (lone surrogate)' } : { ok: true, text: body };
  }
  try {
    return { ok: true, text: UTF8.decode(body) };
  } catch {
    return { ok: false, error: 'body is not valid UTF-8' };
  }
}

export function bodyLength(body: Uint8Array | string | undefined): number {
  if (body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return true;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}

class JsonError extends Error {}

export function parseStrictJson(text: string): StrictJsonResult {
  const reader = new Reader(text);
  try {
    reader.skipSpace();
    const value = reader.value(0, '$');
    reader.skipSpace();
    if (reader.pos < text.length) reader.fail('trailing characters after the JSON value');
    return { ok: true, value };
  } catch (error) {
    if (error instanceof JsonError) return { ok: false, error: error.message };
    throw error;
  }
}

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(why: string): never {
    throw new JsonError(`invalid JSON at offset ${this.pos}: ${why}`);
  }

  skipSpace(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  value(depth: number, path: string): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b /* { */) return this.object(depth + 1, path);
    if (c === 0x5b /* [ */) return this.array(depth + 1, path);
    if (c === 0x22 /* " */) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
    if (Number.isNaN(c)) this.fail('unexpected end of input');
    return this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
  }

  private literal<T>(length: number, value: T): T {
    this.pos += length;
    return value;
  }

  private object(depth: number, path: string): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    this.pos++;
    // A null-prototype object: a "__proto__" key is data, never the prototype.
    const out: { [key: string]: JsonValue } = Object.create(null);
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('expected a string key');
      const key = this.string();
      if (Object.hasOwn(out, key)) throw new JsonError(`invalid JSON: duplicate JSON object key '${key}' at ${path}`);
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("expected ':'");
      this.pos++;
      this.skipSpace();
      out[key] = this.value(depth, `${path}.${key}`);
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return out;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
      this.skipSpace();
    }
  }

  private array(depth: number, path: string): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    this.pos++;
    const out: JsonValue[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth, `${path}[${out.length}]`));
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) return out;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
      this.skipSpace();
    }
  }

  private string(): string {
    const t = this.text;
    let p = this.pos + 1;
    let out = '';
    let start = p;
    for (;;) {
      const c = t.charCodeAt(p);
      if (Number.isNaN(c)) {
        this.pos = p;
        this.fail('unterminated string');
      }
      if (c === 0x22) {
        out += t.slice(start, p);
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail('control character in string');
      }
      if (c !== 0x5c) {
        p++;
        continue;
      }
      out += t.slice(start, p);
      const e = t.charCodeAt(p + 1);
      p += 2;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const unit = this.hex4(p);
          p += 4;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            // A high surrogate must be followed by an escaped low surrogate.
            if (t.charCodeAt(p) !== 0x5c || t.charCodeAt(p + 1) !== 0x75) {
              this.pos = p;
              this.fail('lone leading surrogate in \\u escape');
            }
            const low = this.hex4(p + 2);
            if (low < 0xdc00 || low > 0xdfff) {
              this.pos = p;
              this.fail('lone leading surrogate in \\u escape');
            }
            out += String.fromCharCode(unit, low);
            p += 6;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            this.pos = p;
            this.fail('lone trailing surrogate in \\u escape');
          } else out += String.fromCharCode(unit);
          break;
        }
        default:
          this.pos = p - 2;
          this.fail('invalid escape');
      }
      start = p;
    }
  }

  private hex4(at: number): number {
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.text.charCodeAt(at + i);
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 87 : c >= 0x41 && c <= 0x46 ? c - 55 : -1;
      if (d < 0) {
        this.pos = at + i;
        this.fail('invalid \\u escape');
      }
      n = n * 16 + d;
    }
    return n;
  }

  private number(): number {
    const t = this.text;
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === 0x2d) p++;
    const digits = () => {
      const from = p;
      while (t.charCodeAt(p) >= 0x30 && t.charCodeAt(p) <= 0x39) p++;
      if (p === from) {
        this.pos = p;
        this.fail('malformed number');
      }
    };
    if (t.charCodeAt(p) === 0x30) p++;
    else digits();
    if (t.charCodeAt(p) === 0x2e) {
      p++;
      digits();
    }
    if (t.charCodeAt(p) === 0x65 || t.charCodeAt(p) === 0x45) {
      p++;
      if (t.charCodeAt(p) === 0x2b || t.charCodeAt(p) === 0x2d) p++;
      digits();
    }
    this.pos = p;
    const value = Number(t.slice(start, p));
    if (!Number.isFinite(value)) this.fail('number out of range');
    return value;
  }
}

export function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
