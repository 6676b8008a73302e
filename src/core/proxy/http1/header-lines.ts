// Which headers cross the proxy. Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and stop
// here, as does every header the Connection header names; proxy credentials never go upstream. What is
// left is forwarded line by line, in order and spelled as received, so repeated headers stay repeated.

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
]);

/** What a message's headers say about its body, with the lines to forward. */
export interface ForwardedHeaders {
  /** "Name: value\r\n" lines, without the final blank line. */
  lines: string;
  /** The message's Content-Length, when it has one. */
  contentLength?: string;
  chunked: boolean;
}

/** Extra names the Connection header(s) declare hop-by-hop ("keep-alive" and "close" are just options). */
function connectionNamed(headers: string[]): Set<string> | undefined {
  let named: Set<string> | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].length !== 10 || headers[i].toLowerCase() !== 'connection') continue;
    for (const token of headers[i + 1].split(',')) {
      const name = token.trim().toLowerCase();
      if (name && name !== 'close' && name !== 'keep-alive') (named ??= new Set()).add(name);
    }
  }
  return named;
}

/**
 * Headers to forward. `dropHost` for requests: a proxy replaces Host with the target URI's authority
 * (RFC 9112 §3.2.2), so a client cannot ask an allowed address for some other virtual host.
 */
export function forwardedHeaders(headers: string[], dropHost: boolean): ForwardedHeaders {
  const named = connectionNamed(headers);
  let lines = '';
  let contentLength: string | undefined;
  let chunked = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const lower = name.toLowerCase();
    if (lower === 'content-length') contentLength = headers[i + 1];
    else if (lower === 'transfer-encoding') chunked ||= /(?:^|,)\s*chunked\s*$/i.test(headers[i + 1]);
    if (HOP_BY_HOP.has(lower) || (dropHost && lower === 'host') || named?.has(lower)) continue;
    lines += `${name}: ${headers[i + 1]}\r\n`;
  }
  return { lines, contentLength, chunked };
}
