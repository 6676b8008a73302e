// Which headers cross the proxy, and what a message's headers say about its framing. Hop-by-hop headers
// (RFC 9110 §7.6.1) describe one connection and stop here, as does every header the Connection header
// names; proxy credentials never go upstream. What is left is forwarded line by line, in order and spelled
// as received, so repeated headers stay repeated.
//
// Framing is never forwarded as received: the proxy re-frames every body per hop and writes its own
// Content-Length (the parsed value) or Transfer-Encoding: chunked, so the head always states what the
// proxy writes. A message whose Connection header names Content-Length, Transfer-Encoding or Host is
// refused outright: honouring it would drop the framing (or routing) while the body still flows, which
// is how an allowed request smuggled a second one upstream. Transfer codings other than chunked are
// refused too (almost no server supports them; forwarding them changes what the body means).

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Written by the proxy itself from the parsed framing.
  'content-length',
]);

/** Names a Connection header may not nominate: the message's framing and routing. */
const FRAMING_OR_ROUTING = new Set(['content-length', 'transfer-encoding', 'host']);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What a message's headers say, with the lines to forward. */
export interface MessageHeaders {
  /** "Name: value\r\n" lines to forward, without framing, hop-by-hop and nominated headers. */
  lines: string;
  /** The parsed Content-Length, when there is one. */
  length?: number;
  /** The body is chunked (the only transfer coding accepted). */
  chunked: boolean;
  /** Expect: 100-continue. */
  expectContinue: boolean;
  /**
   * The Expect line(s), kept out of `lines`: forwarded when the body streams to the upstream (which then
   * answers the 100 itself), dropped when the proxy read the body first (it answered the 100).
   */
  expectLines?: string;
  /** Upgrade tokens, lower-case, when the message has an Upgrade header. */
  upgrade?: string[];
  /** The Connection header names "upgrade". */
  connectionUpgrade: boolean;
  /** Why this message cannot be forwarded as it is (its framing or routing would be ambiguous). */
  error?: string;
}

/** The names the Connection header(s) nominate (lower-case), or an error for a malformed option. */
function connectionOptions(headers: string[]): Set<string> | string | undefined {
  let named: Set<string> | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].length !== 10 || headers[i].toLowerCase() !== 'connection') continue;
    for (const token of headers[i + 1].split(',')) {
      const name = token.trim().toLowerCase();
      if (name === '') continue; // empty list elements are allowed and ignored (RFC 9110 §5.6.1)
      if (!TOKEN.test(name)) return `the Connection header holds an invalid option ${JSON.stringify(token.trim())}`;
      if (FRAMING_OR_ROUTING.has(name)) return `the Connection header names ${name}, which this message's framing or routing depends on`;
      (named ??= new Set()).add(name);
    }
  }
  return named;
}

/**
 * Reads a message's headers. `dropHost` for requests: a proxy replaces Host with the target URI's
 * authority (RFC 9112 §3.2.2), so a client cannot ask an allowed address for some other virtual host.
 */
export function readHeaders(headers: string[], dropHost: boolean): MessageHeaders {
  const named = connectionOptions(headers);
  const result: MessageHeaders = { lines: '', chunked: false, expectContinue: false, connectionUpgrade: false };
  if (typeof named === 'string') {
    result.error = named;
    return result;
  }
  result.connectionUpgrade = named?.has('upgrade') ?? false;
  let lines = '';
  let codings = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      const digits = value.trim();
      // llhttp has already refused signs, lists and repeats; anything else unexpected is refused here too.
      if (!/^[0-9]{1,15}$/.test(digits) || result.length !== undefined) result.error = `unusable Content-Length ${JSON.stringify(value)}`;
      else result.length = Number(digits);
    } else if (lower === 'transfer-encoding') {
      for (const token of value.split(',')) {
        const coding = token.trim().toLowerCase();
        if (coding === '') continue;
        codings++;
        if (coding !== 'chunked') result.error = `transfer coding ${JSON.stringify(coding)} is not supported (only chunked)`;
      }
      result.chunked = true;
    } else if (lower === 'expect') {
      result.expectContinue = value.trim().toLowerCase() === '100-continue';
      result.expectLines = `${result.expectLines ?? ''}${name}: ${value}\r\n`;
      continue;
    } else if (lower === 'upgrade') {
      for (const token of value.split(',')) {
        const protocol = token.trim().toLowerCase();
        if (protocol) (result.upgrade ??= []).push(protocol);
      }
    }
    if (HOP_BY_HOP.has(lower) || (dropHost && lower === 'host') || named?.has(lower)) continue;
    lines += `${name}: ${value}\r\n`;
  }
  if (result.chunked && codings !== 1 && !result.error) result.error = 'Transfer-Encoding must be exactly "chunked"';
  if (result.chunked && result.length !== undefined) result.error = 'both Content-Length and Transfer-Encoding';
  result.lines = lines;
  return result;
}
