// The parts of an HTTP request the L7 decision reads besides method and path: header fields (names
// compared case-insensitively, repeated fields kept) and the method token grammar of RFC 9110.

export type Headers = Record<string, string | string[]> | undefined;

/** Every value given for a field name, in order (a repeated field yields several). */
export function headerValues(headers: Headers, name: string): string[] {
  if (!headers) return [];
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const key of Object.keys(headers)) {
    if (key.length !== wanted.length || key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}

/** True when a comma-separated field (every occurrence) lists `token` (case-insensitive), as `Connection: keep-alive, Upgrade`. */
export function headerHasToken(headers: Headers, name: string, token: string): boolean {
  const wanted = token.toLowerCase();
  return headerValues(headers, name).some((value) => value.split(',').some((part) => part.trim().toLowerCase() === wanted));
}

/** RFC 9110 token: 1*tchar. A method outside it can never be named, so it is never decided as one. */
const TCHAR = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isHttpToken(text: string): boolean {
  return TCHAR.test(text);
}

/** The media types an Accept field lists (parameters dropped, lower-cased). */
export function acceptsMediaType(headers: Headers, mediaType: string): boolean {
  return headerValues(headers, 'accept').some((value) =>
    value.split(',').some((part) => part.split(';')[0].trim().toLowerCase() === mediaType),
  );
}
