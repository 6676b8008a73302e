// The WebSocket opening handshake (RFC 6455 §4), as far as a proxy checks it. The upgrade request is an
// ordinary GET as far as policy goes (method, path, query are decided like any request); what makes the
// upgrade safe to relay is that both sides really agreed to it: the client asked for exactly "websocket"
// with a well-formed key and no body, and the upstream's 101 names websocket, says Connection: upgrade and
// answers that key (Sec-WebSocket-Accept). Anything else that asks to switch protocols (h2c, TLS upgrade,
// made-up protocols) is refused: after a switch the proxy no longer sees requests. As upstream OpenShell,
// frames are not inspected after the 101: both directions are relayed as bytes.
import { createHash } from 'node:crypto';
import type { MessageHead } from './llhttp.js';
import type { MessageHeaders } from './header-lines.js';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WebSocketRequest {
  /** The Sec-WebSocket-Accept a genuine 101 carries for this request's key. */
  expectedAccept: string;
}

export interface Refusal {
  status: number;
  reason: string;
}

function values(head: MessageHead, name: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < head.headers.length; i += 2) if (head.headers[i].toLowerCase() === name) found.push(head.headers[i + 1].trim());
  return found;
}

/** Reads an upgrade request (llhttp saw Connection: upgrade and an Upgrade header): a WebSocket handshake, or why not. */
export function websocketRequest(head: MessageHead, headers: MessageHeaders): WebSocketRequest | Refusal {
  const protocols = headers.upgrade ?? [];
  if (protocols.length !== 1 || protocols[0] !== 'websocket') {
    const what = protocols.includes('h2c') ? 'HTTP/2 cleartext (h2c)' : JSON.stringify(protocols.join(', '));
    return { status: 501, reason: `upgrade to ${what} is not supported: only WebSocket upgrades are relayed (HTTPS goes through CONNECT)` };
  }
  if (head.method !== 'GET' || head.versionMajor !== 1 || head.versionMinor !== 1)
    return { status: 400, reason: 'a WebSocket upgrade must be an HTTP/1.1 GET' };
  if (!headers.connectionUpgrade) return { status: 400, reason: 'a WebSocket upgrade must say Connection: upgrade' };
  if (headers.chunked || (headers.length ?? 0) > 0) return { status: 400, reason: 'a WebSocket upgrade request carries no body' };
  const keys = values(head, 'sec-websocket-key');
  if (keys.length !== 1 || Buffer.from(keys[0], 'base64').length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(keys[0]))
    return { status: 400, reason: 'a WebSocket upgrade needs exactly one Sec-WebSocket-Key (16 bytes, base64)' };
  return {
    expectedAccept: createHash('sha1')
      .update(keys[0] + ACCEPT_GUID)
      .digest('base64'),
  };
}

/** What is wrong with an upstream's 101 to `request`, or undefined when it completes the handshake. */
export function websocketResponseProblem(head: MessageHead, headers: MessageHeaders, request: WebSocketRequest): string | undefined {
  if (headers.error) return headers.error;
  if (headers.upgrade?.length !== 1 || headers.upgrade[0] !== 'websocket') return 'the upstream switched to something other than websocket';
  if (!headers.connectionUpgrade) return 'the upstream switched protocols without Connection: upgrade';
  const accept = values(head, 'sec-websocket-accept');
  if (accept.length !== 1 || accept[0] !== request.expectedAccept)
    return "the upstream's Sec-WebSocket-Accept does not answer the client's key";
  return undefined;
}
