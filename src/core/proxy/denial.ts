// How a refusal reads to the agent: HTTP 403 with a short JSON body naming the host, the reason and how
// to get access. The same text answers a refused CONNECT before any tunnel opens.
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

/** The reason as a header value: printable ASCII only, bounded. */
export function denialReasonHeader(reason: string): string {
  return sanitizeForTerminal(reason)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 200);
}

/** A raw HTTP/1.1 403 response that closes the connection (a refused CONNECT). */
export function rawDenial(info: DenialInfo): string {
  const body = denialBody(info);
  const reasonHeader = denialReasonHeader(info.reason);
  return (
    'HTTP/1.1 403 Forbidden\r\n' +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-OpenShell-Deny-Reason: ${reasonHeader}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}
