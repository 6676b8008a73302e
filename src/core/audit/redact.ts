// What the audit log may keep of a request path or a free-text reason. The log outlives the session and
// is read by people who were never meant to see an agent's credentials, so the rule errs towards removing.
//
// The rule:
// - Everything from the first '?' (query string) or '#' (fragment) of a path is dropped, and so is every
//   ';' parameter inside a segment (`;jsessionid=…`). Query values never reach the log, not even redacted.
// - A path segment is replaced by `[redacted]` when it looks like a token, judged on the segment as sent and
//   percent-decoded:
//     a run of 20+ letters and digits that mixes both          (API keys, session ids, base32/58/62 tokens)
//     a run of 32+ hex digits                                   (hex keys, digests, uuid-without-dashes)
//     24+ characters of the base64/base64url alphabet (with '.', as in JWTs) mixing upper case, lower case
//     and digits, with a run of 12+ letters and digits          (tokens that '-', '_' or '.' break into runs)
//   Ordinary names ("repos", "Django-4.2.7-py3-none-any.whl", a dashed UUID) stay readable; long, mixed identifiers
//   such as a git commit hash are redacted too, which is the price of never keeping a secret.
// - In free text (reasons, operator notes) every whitespace-separated word gets the same treatment: a '?'
//   followed by anything cuts the rest of the word, and each '/'-separated piece that looks like a token is
//   replaced. Words are not '#'- or ';'-cut there, so prose ("#12", "a; b") reads as written.

import { boundedMemo } from '../text/bounded-memo.js';

export const REDACTED = '[redacted]';

const ALNUM_RUN = /[A-Za-z0-9]{20,}/g;
const HEX_RUN = /[0-9A-Fa-f]{32,}/;
const BASE64ISH = /^[A-Za-z0-9+/=_.~-]{24,}$/;
const MEDIUM_RUN = /[A-Za-z0-9]{12,}/;

/** Whether one path segment (or word piece) looks like a secret; see the rule above. */
export function looksLikeToken(piece: string): boolean {
  return tokenish(piece) || (piece.includes('%') && tokenish(decode(piece)));
}

function tokenish(text: string): boolean {
  if (HEX_RUN.test(text)) return true;
  for (const run of text.match(ALNUM_RUN) ?? []) {
    if (/[0-9]/.test(run) && /[A-Za-z]/.test(run)) return true;
  }
  return BASE64ISH.test(text) && MEDIUM_RUN.test(text) && /[A-Z]/.test(text) && /[a-z]/.test(text) && /[0-9]/.test(text);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A request path as it may be logged: no query, fragment or ';' parameters; token-like segments replaced. */
export const redactPath = boundedMemo(function redactPath(path: string): string {
  const end = path.search(/[?#]/);
  const bare = end === -1 ? path : path.slice(0, end);
  return bare
    .split('/')
    .map((segment) => {
      const semi = segment.indexOf(';');
      const kept = semi === -1 ? segment : segment.slice(0, semi);
      return looksLikeToken(kept) ? REDACTED : kept;
    })
    .join('/');
});

/** Free text (a decision reason, an operator's note) with queries cut and token-like pieces replaced. */
export const redactText = boundedMemo(function redactText(text: string): string {
  return text.replace(/\S+/g, (word) => {
    const query = word.indexOf('?');
    const kept = query !== -1 && query < word.length - 1 ? word.slice(0, query) : word;
    return kept
      .split('/')
      .map((piece) => (looksLikeToken(piece) ? REDACTED : piece))
      .join('/');
  });
});
