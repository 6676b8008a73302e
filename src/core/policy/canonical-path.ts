// Request-target canonicalisation before L7 matching, with upstream's strictness (l7/path.rs): control
// bytes, raw non-ASCII, fragments, bad %-escapes, %2F (unless the endpoint allows it) and ".." above the
// root are refused; dot-segments resolve, doubled slashes collapse, ";params" are stripped, and bytes
// outside the pchar set are re-encoded in upper-case hex. Rules then match one canonical spelling.

export const MAX_PATH_BYTES = 4 * 1024;

export type CanonicalPath = { ok: true; path: string; query?: string } | { ok: false; error: string };

const ERR = {
  control: 'request-target contains a null or control byte',
  percent: 'request-target contains an invalid percent-encoded sequence',
  slash: "request-target contains an encoded '/' (%2F) which is not allowed on this endpoint",
  fragment: 'request-target contains a fragment',
  nonAscii: 'request-target contains raw non-ASCII bytes; non-ASCII must be percent-encoded',
  traversal: "request-target's `..` segment would escape the path root",
  residual: 'request-target still contains a `.`/`..` segment after canonicalization',
  long: 'request-target exceeds the configured maximum length',
  malformed: 'request-target is not a valid origin-form path',
} as const;

/** Stands for a decoded %2F inside a segment; raw 0x01 is refused up front, so it cannot collide. */
const ENCODED_SLASH = 0x01;

const fail = (error: string): CanonicalPath => ({ ok: false, error });

export function canonicalizePath(target: string, allowEncodedSlash = false): CanonicalPath {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return fail(ERR.control);
    if (c >= 0x80) return fail(ERR.nonAscii);
  }
  if (target.includes('#')) return fail(ERR.fragment);
  const q = target.indexOf('?');
  const pathPart = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? undefined : target.slice(q + 1);

  let raw = pathPart;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*(.*)$/.exec(pathPart);
  if (absolute) raw = absolute[1] || '/';
  if (raw === '') raw = '/';
  if (!raw.startsWith('/')) return fail(ERR.malformed);
  if (raw.length > MAX_PATH_BYTES) return fail(ERR.long);

  const decoded = percentDecode(raw, allowEncodedSlash);
  if (typeof decoded === 'string') return fail(decoded);

  // Strip ";params" before resolving dot-segments, so "..;" cannot slip past the traversal check.
  const segments = split(decoded.subarray(1)).map(stripParams);
  const resolved: Uint8Array[] = [];
  const last = segments.length - 1;
  for (let idx = 0; idx < segments.length; idx++) {
    const seg = segments[idx];
    if (isDots(seg, 2)) {
      if (resolved.pop() === undefined) return fail(ERR.traversal);
      if (idx === last) resolved.push(new Uint8Array(0));
      continue;
    }
    if (isDots(seg, 1)) {
      if (idx === last) resolved.push(new Uint8Array(0));
      continue;
    }
    if (seg.length === 0 && idx !== last) continue;
    resolved.push(seg);
  }
  for (const seg of resolved) {
    for (const part of split(seg, ENCODED_SLASH)) if (isDots(part, 1) || isDots(part, 2)) return fail(ERR.residual);
  }
  return { ok: true, path: `/${resolved.map(encodeSegment).join('/')}`, query };
}

function percentDecode(raw: string, allowEncodedSlash: boolean): Uint8Array | string {
  const out = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw.charCodeAt(i);
    if (b === ENCODED_SLASH) return ERR.control;
    if (b !== 0x25 /* % */) {
      out[n++] = b;
      continue;
    }
    if (i + 2 >= raw.length) return ERR.percent;
    const hi = hex(raw.charCodeAt(i + 1));
    const lo = hex(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return ERR.percent;
    const d = (hi << 4) | lo;
    if (d === 0x2f) {
      if (!allowEncodedSlash) return ERR.slash;
      out[n++] = ENCODED_SLASH;
    } else if (d < 0x20 || d === 0x7f) {
      return ERR.control;
    } else {
      out[n++] = d;
    }
    i += 2;
  }
  return out.subarray(0, n);
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function split(bytes: Uint8Array, sep = 0x2f): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === sep) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  parts.push(bytes.subarray(start));
  return parts;
}

function stripParams(seg: Uint8Array): Uint8Array {
  const semi = seg.indexOf(0x3b);
  return semi < 0 ? seg : seg.subarray(0, semi);
}

function isDots(seg: Uint8Array, count: 1 | 2): boolean {
  return seg.length === count && seg[0] === 0x2e && (count === 1 || seg[1] === 0x2e);
}

// RFC 3986 pchar bytes emitted literally: unreserved, sub-delims, ":" and "@".
const LITERAL = new Set(Array.from("-._~!$&'()*+,;=:@", (c) => c.charCodeAt(0)));

function encodeSegment(seg: Uint8Array): string {
  let out = '';
  for (const b of seg) {
    if (b === ENCODED_SLASH) out += '%2F';
    else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || LITERAL.has(b)) {
      out += String.fromCharCode(b);
    } else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
