// The path that goes upstream is the path that was decided: the policy's canonical form
// (policy/canonical-path.ts: dot segments resolved, "//" collapsed, unreserved bytes decoded, hex upper-cased).
// After that the path has one reading on every server, except for spellings on which servers disagree
// even in canonical form; those are refused, because whichever form went upstream, some server would
// route it somewhere other than where the policy looked:
// - a backslash, raw or %5C (WHATWG URL parsers and IIS treat it as "/", RFC 3986 servers as a byte);
// - double encoding, %25 followed by two hex digits (a second decoding layer reads what the first hid);
// - decoded bytes that are not UTF-8 (overlong %C0%AE is "." to lenient decoders), and characters NFKC
//   folds into "." "/" "\" ";" "%" "?" "#" (fullwidth dots and slashes);
// - characters that fold into ASCII at all, by NFKC (fullwidth letters, ligatures, the Kelvin sign, long
//   s, a no-break space) or by simple case mapping (dotless ı upper-cases to I, dotted İ lower-cases to i
//   in Java and .NET): a normalising or case-insensitive server reads /adm%C4%B1n as /admin, a path no
//   deny rule written for /admin would see;
// - dot segments spelled with %2e (servers disagree on whether they are dot segments);
// - ";" path parameters, raw or %3B (the policy decides each segment without them, as upstream OpenShell
//   does, but only some servers strip them);
// - whatever the canonicaliser itself refuses (traversal above the root, control bytes, %2F, fragments).
// test/proxy/forwarded-target.test.ts reads every forwarded path as seven kinds of server would.
import { canonicalizePath } from '../policy/canonical-path.js';

export type ForwardablePath = { path: string; query?: string } | { refused: string };

/** Paths made only of plain segments need no work: their canonical form is themselves. */
const PLAIN = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~!$&'()*+,=:@]+)*\/?$/;

const STRUCTURAL = /[./\\;%?#]/;

const ASCII = /[\x00-\x7f]/;

/** The characters outside ASCII whose simple case mapping is ASCII (NFKC leaves them be). */
const CASE_MAPS_TO_ASCII = new Map([
  ['\u0131', 'I'], // dotless ı: upper case I
  ['\u0130', 'i'], // dotted İ: simple lower case i
]);

function refused(why: string): ForwardablePath {
  return { refused: why };
}

/** Percent-decodes what decodes (bad escapes are left for the canonicaliser to refuse). */
function decodedBytes(raw: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c);
  }
  return bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why the decoded path could be read as something else by a lenient or normalising server, if it could. */
function ambiguousText(bytes: number[]): string | undefined {
  if (!bytes.some((b) => b >= 0x80)) return undefined;
  let text: string;
  try {
    text = utf8.decode(Uint8Array.from(bytes));
  } catch {
    return 'the path decodes to bytes that are not UTF-8 (overlong encodings read as "." or "/" on lenient servers)';
  }
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) continue;
    const nfkc = char.normalize('NFKC');
    if (STRUCTURAL.test(nfkc)) return `the path holds ${JSON.stringify(char)}, which Unicode normalisation turns into path syntax`;
    if (ASCII.test(nfkc) || CASE_MAPS_TO_ASCII.has(char))
      return `the path holds ${JSON.stringify(char)}, which normalising or case-insensitive servers read as ASCII ${JSON.stringify(CASE_MAPS_TO_ASCII.get(char) ?? nfkc)}`;
  }
  return undefined;
}

/** `target`: the origin-form request-target (path and optional query). */
export function forwardablePath(target: string): ForwardablePath {
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? undefined : target.slice(q + 1);
  if (PLAIN.test(rawPath) && !rawPath.includes('//') && (rawQuery === undefined || !/[#\x00-\x20\x7f-\uffff]/.test(rawQuery)))
    return { path: rawPath, query: rawQuery };
  if (rawPath.includes('\\')) return refused('a backslash in the path: some servers read it as "/", others as a character');
  if (rawPath.includes(';')) return refused('";" path parameters are not forwarded: servers disagree on whether they belong to the path');
  for (const m of rawPath.matchAll(/%([0-9a-fA-F]{2})/g)) {
    const byte = Number.parseInt(m[1], 16);
    if (byte === 0x5c) return refused('an encoded backslash (%5C) in the path: some servers read it as "/"');
    if (byte === 0x3b) return refused('an encoded ";" (%3B) in the path: the policy reads it as a path parameter');
    if (byte === 0x25 && /^%25[0-9a-fA-F]{2}/.test(rawPath.slice(m.index))) {
      return refused('double percent-encoding (%25XX) in the path: a server that decodes twice reads another path');
    }
  }
  for (const segment of rawPath.split('/')) {
    if (!segment.includes('%')) continue;
    const decoded = String.fromCharCode(...decodedBytes(segment));
    if (decoded === '.' || decoded === '..') return refused('a dot segment spelled with %2e: servers disagree on whether it is one');
  }
  const ambiguous = ambiguousText(decodedBytes(rawPath));
  if (ambiguous) return refused(ambiguous);
  const canonical = canonicalizePath(target, true);
  if (!canonical.ok) return refused(canonical.error);
  return { path: canonical.path, query: canonical.query };
}
