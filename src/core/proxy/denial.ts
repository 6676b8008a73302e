// How a refusal reads to the agent: HTTP 403 with a short JSON body naming the host, the reason, the
// request id and how to get access, and the reason on the status line too (where clients that hide the
// body, like curl and Python after a refused CONNECT, still show it). The same text answers a refused
// CONNECT before any tunnel opens, and a refused request inside one.
import { sanitizeForTerminal } from '../text/sanitize.js';

export interface DenialInfo {
  host: string;
  port: number;
  reason: string;
  stage: string;
  requestId?: string;
}

export function denialBody(info: DenialInfo): string {
  const body = {
    error: 'egress_denied',
    host: info.host,
    port: info.port,
    stage: info.stage,
    reason: info.reason,
    request_id: info.requestId ?? null,
    how_to_request_access: info.requestId
      ? `Ask the operator to approve request ${info.requestId} in openshell-term (or: openshell-term approve ${info.requestId}).`
      : 'This destination is blocked by policy; ask the operator to change the sandbox policy or add a preset.',
  };
  return `${JSON.stringify(body)}\n`;
}

/** Text an agent controls, made safe for a header value or a status line: printable ASCII only, one line, bounded. */
export function headerSafe(text: string, max = 200): string {
  const safe = sanitizeForTerminal(text)
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe;
}

/** The reason as a header value. */
export function denialReasonHeader(reason: string): string {
  return headerSafe(reason);
}

/** A 403 status line's reason phrase that says why, with the request id to ask about. */
export function denialReasonPhrase(info: DenialInfo): string {
  return headerSafe(`Forbidden: ${info.reason}${info.requestId ? ` (request ${info.requestId})` : ''}`, 160);
}

/** A raw HTTP/1.1 403 response that closes the connection (a refused CONNECT). */
export function rawDenial(info: DenialInfo): string {
  const body = denialBody(info);
  return (
    `HTTP/1.1 403 ${denialReasonPhrase(info)}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-OpenShell-Deny-Reason: ${denialReasonHeader(info.reason)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** The JSON body of a 400 the proxy answers itself (a request it cannot forward as it is). */
export function badRequestBody(reason: string): string {
  return `${JSON.stringify({ error: 'bad_request', reason })}\n`;
}
