// Glob matching with the semantics of Rego's glob.match as upstream evaluates it (regorus + wax):
//   *   any run of characters that contains no delimiter (may be empty)
//   **  any run of whole components (may cross delimiters); must stand as a whole component;
//       a trailing "/**" still needs its "/" ("foo/**" matches "foo/" and "foo/x", not "foo")
//   ?   one non-delimiter character;  [abc] [!a-z] character classes;  {a,b} alternatives;  \x literal x
// An empty delimiter list means ["."], exactly as regorus does it; patterns are compiled once to RegExp.

export type GlobMatcher = (value: string) => boolean;

const cache = new Map<string, GlobMatcher>();

export function compileGlob(pattern: string, delimiters: readonly string[]): GlobMatcher {
  const delims = delimiters.length === 0 ? ['.'] : delimiters;
  const key = `${delims.join('')}\u0000${pattern}`;
  let matcher = cache.get(key);
  if (!matcher) {
    const source = translate(pattern, delims);
    if (source === undefined || pattern.includes('\u0000')) {
      matcher = () => false; // an invalid glob never matches (regorus errors, so the rule is undefined)
    } else {
      const regex = new RegExp(`^${source}$`, 's');
      // regorus uses NUL internally and errors on a value containing it: the rule is undefined, so no match.
      matcher = (value) => !value.includes('\u0000') && regex.test(value);
    }
    if (cache.size > 50_000) cache.clear();
    cache.set(key, matcher);
  }
  return matcher;
}

export function globMatch(pattern: string, delimiters: readonly string[], value: string): boolean {
  return compileGlob(pattern, delimiters)(value);
}

/** True when the text uses any glob metacharacter. */
export function hasGlobSyntax(text: string): boolean {
  return /[*?[{]/.test(text);
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function translate(pattern: string, delims: readonly string[]): string | undefined {
  const delimClass = delims.map(escapeRegex).join('');
  const notDelim = `[^${delimClass}]`;
  const isDelim = (ch: string | undefined) => ch !== undefined && delims.includes(ch);
  // With a delimiter other than "/", regorus turns each delimiter into its own path component,
  // so a leading "**." must consume at least one label before the delimiter.
  const slashIsDelim = delims.includes('/');
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (i + 1 >= pattern.length) return undefined;
      out += escapeRegex(pattern[i + 1]);
      i += 2;
    } else if (ch === '*' && pattern[i + 1] === '*') {
      const before = pattern[i - 1];
      const after = pattern[i + 2];
      if ((i > 0 && !isDelim(before)) || (after !== undefined && !isDelim(after))) return undefined;
      if (after === undefined) {
        // "a/**" compiles to "a/.*": the delimiter stays required, so "foo/**" does not match "foo".
        out += '.*';
        i += 2;
      } else {
        const sep = escapeRegex(after);
        out += slashIsDelim ? `(?:.*${sep})?` : `(?:.+${sep})`;
        i += 3;
      }
    } else if (ch === '*') {
      out += `${notDelim}*`;
      i += 1;
    } else if (ch === '?') {
      out += notDelim;
      i += 1;
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      const cls = body.replace(/[\\\]^]/g, '\\$&');
      out += negate ? `(?![${delimClass}])[^${cls}]` : `[${cls}]`;
      i = end + 1;
    } else if (ch === '{') {
      const end = findClosingBrace(pattern, i);
      if (end < 0) return undefined;
      const alternatives = splitTopLevel(pattern.slice(i + 1, end));
      const parts = alternatives.map((alt) => translate(alt, delims));
      if (parts.some((p) => p === undefined)) return undefined;
      out += `(?:${parts.join('|')})`;
      i = end + 1;
    } else {
      out += escapeRegex(ch);
      i += 1;
    }
  }
  return out;
}

function findClosingBrace(pattern: string, start: number): number {
  let depth = 0;
  for (let i = start; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') {
      current += ch + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}
