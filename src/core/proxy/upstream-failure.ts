// An allowed request whose upstream could not be reached or failed is not a denial: it is a 502 (refused,
// reset, unreachable, DNS failure, a certificate the core does not accept, a malformed answer) or a 504
// (timed out), with the cause in a JSON body, so neither the agent nor the operator mistakes it for policy.
import { headerSafe } from './denial.js';

export interface UpstreamFailure {
  status: 502 | 504;
  /** The errno-style code (ECONNREFUSED, ETIMEDOUT, ENOTFOUND, CERT_HAS_EXPIRED, EPROTO…). */
  code: string;
  /** What happened, in words. */
  cause: string;
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'the upstream refused the connection',
  ECONNRESET: 'the upstream reset the connection',
  EPIPE: 'the upstream closed the connection',
  EHOSTUNREACH: 'the upstream host is unreachable',
  ENETUNREACH: 'the upstream network is unreachable',
  ETIMEDOUT: 'the upstream timed out',
  ENOTFOUND: 'the upstream host name does not resolve',
  EAI_AGAIN: 'DNS resolution failed temporarily',
  ECONNLIMIT: 'the proxy is at its connection budget (too many connections open): close some and retry',
};

export function classifyFailure(error: unknown): UpstreamFailure {
  const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
  const message = (error as Error).message ?? String(error);
  const status = code === 'ETIMEDOUT' ? 504 : 502;
  let cause = CAUSES[code];
  if (/CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL/.test(code)) cause = `the upstream's TLS certificate was not accepted: ${message}`;
  else if (code === 'EPROTO' || code === 'ETIMEDOUT') cause = message;
  return { status, code, cause: cause ?? message };
}

export function upstreamFailureBody(failure: UpstreamFailure, info: { host: string; port: number; requestId?: string }): string {
  return `${JSON.stringify({
    error: failure.status === 504 ? 'upstream_timeout' : 'upstream_failed',
    host: info.host,
    port: info.port,
    code: failure.code,
    cause: failure.cause,
    request_id: info.requestId ?? null,
  })}\n`;
}

export function failureStatusText(failure: UpstreamFailure): string {
  return failure.status === 504 ? 'Gateway Timeout' : 'Bad Gateway';
}

/** A raw response to a CONNECT whose upstream failed (the connection closes). */
export function rawUpstreamFailure(failure: UpstreamFailure, info: { host: string; port: number; requestId?: string }): string {
  const body = upstreamFailureBody(failure, info);
  return (
    `HTTP/1.1 ${failure.status} ${headerSafe(`${failureStatusText(failure)}: ${failure.cause}`, 160)}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}
