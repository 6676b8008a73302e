// A request's target, split for the decision and for the upstream: absolute-form on the proxy's own port
// (http://host[:port]/path?query, as a client configured with a proxy sends it), origin-form inside an
// inspected tunnel (/path?query, the host is the tunnel's). Either way the path decided is the path
// forwarded (forwardable-path.ts), and a target that cannot be read one way only is refused.
import { bracketHost, stripBrackets } from '../net/host-port.js';
import { forwardablePath } from './forwardable-path.js';

export interface ProxyTarget {
  host: string;
  port: number;
  /** Host header for the upstream. */
  authority: string;
  /** Path and query as sent upstream: the decided path, the query byte for byte. */
  path: string;
  /** The path the request is decided on (canonical). */
  decidedPath: string;
  /** Decoded query parameters. */
  query: Record<string, string[]>;
}

export type ParsedTarget = ProxyTarget | { invalid: string };

function queryOf(query: string | undefined): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  if (query) for (const [k, v] of new URLSearchParams(query)) (params[k] ??= []).push(v);
  return params;
}

/** Characters an authority may hold here: no userinfo ("@"), no backslash, no spaces. */
const AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,=:[\]%]+$/;

/** An absolute-form request-target, as a client configured with a proxy sends it. */
export function absoluteTarget(raw: string): ParsedTarget {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(raw);
  if (!m) return { invalid: 'openshell-term is a proxy: send absolute-form requests (http://host/path) or CONNECT' };
  if (m[1].toLowerCase() !== 'http') return { invalid: `unsupported scheme ${m[1]}:; use CONNECT for https` };
  if (!AUTHORITY.test(m[2]))
    return { invalid: 'the request-target has a malformed authority (userinfo, backslashes and spaces are refused)' };
  let url: URL;
  try {
    url = new URL(`http://${m[2]}/`);
  } catch {
    return { invalid: `the request-target has an invalid authority ${JSON.stringify(m[2])}` };
  }
  const rest = m[3].startsWith('/') ? m[3] : `/${m[3]}`;
  const forwardable = forwardablePath(rest);
  if ('refused' in forwardable) return { invalid: forwardable.refused };
  return {
    host: stripBrackets(url.hostname),
    port: url.port ? Number(url.port) : 80,
    authority: url.host,
    path: forwardable.query === undefined ? forwardable.path : `${forwardable.path}?${forwardable.query}`,
    decidedPath: forwardable.path,
    query: queryOf(forwardable.query),
  };
}

/** An origin-form target inside an inspected tunnel to host:port. */
export function originTarget(raw: string, tunnel: { host: string; port: number }): ParsedTarget {
  if (!raw.startsWith('/')) return { invalid: 'inside a tunnel, send origin-form requests (/path?query)' };
  const forwardable = forwardablePath(raw);
  if ('refused' in forwardable) return { invalid: forwardable.refused };
  const host = bracketHost(tunnel.host);
  return {
    host: tunnel.host,
    port: tunnel.port,
    authority: tunnel.port === 443 ? host : `${host}:${tunnel.port}`,
    path: forwardable.query === undefined ? forwardable.path : `${forwardable.path}?${forwardable.query}`,
    decidedPath: forwardable.path,
    query: queryOf(forwardable.query),
  };
}
