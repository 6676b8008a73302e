// A pending request is what the operator decides on: every attempt at the same (host, port, binary)
// folds into one entry with a hit count, first/last seen, and a few L7 samples. Everything in it that an
// agent controls is bounded, so a flood of odd requests cannot grow the core's memory.

export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface L7Sample {
  method: string;
  path: string;
  /** What the request is at L7 when more than a method and path (an MCP tool, a JSON-RPC method, a GraphQL operation, a WebSocket), when known. */
  badge?: string;
}

/**
 * Something went wrong with this entry's traffic after the policy let it through (or while the agent
 * set up TLS): shown on the entry until the next decision on it.
 */
export interface RequestFailure {
  /** tls: the agent gave up on our TLS handshake (it does not trust the CA); upstream: 502/504 from the destination. */
  kind: 'tls' | 'upstream';
  time: number;
  /** What happened, as the proxy saw it. */
  cause: string;
  /** What the operator can do about it. */
  fix?: string;
  /** The HTTP status the agent got (502, 504), for upstream failures. */
  status?: number;
}

export interface PendingRequest {
  /** Stable, short, URL-safe id (also used by the CLI and the console). */
  id: string;
  host: string;
  port: number;
  binary: string;
  pid?: number;
  firstSeen: number;
  lastSeen: number;
  hits: number;
  /** Most recent distinct method+path pairs seen (bounded in number and length). */
  samples: L7Sample[];
  status: RequestStatus;
  /** Connections currently held open waiting for a decision. */
  held: number;
  /** When the oldest held connection gives up (ms epoch), for countdowns. */
  holdDeadline?: number;
  /** Why the policy did not allow it (the engine's reason). */
  reason: string;
  /** What approving it would mean, when that is more than it looks (an `unknown` binary). */
  warning?: string;
  decidedAt?: number;
  decidedBy?: string;
  decisionNote?: string;
  /** For approvals with a lifetime: when it lapses (ms epoch). */
  expiresAt?: number;
  /** When a held connection last gave up waiting for a decision (ms epoch). */
  timedOutAt?: number;
  /** The last TLS or upstream failure of its traffic. */
  failure?: RequestFailure;
}

export const MAX_SAMPLES = 5;
/** Longest sample path kept (the rest is cut, marked with …); the proxy accepts 16 KiB request heads. */
export const MAX_SAMPLE_PATH = 512;
export const MAX_SAMPLE_METHOD = 32;
/** Longest reason or decision note kept. */
export const MAX_NOTE = 512;
/** A DNS name is at most 253 characters; a longer host is refused before it reaches the inbox. */
export const MAX_HOST = 253;

/** The binary identity gives when it cannot tell which program owns a connection. */
export const UNKNOWN_BINARY = 'unknown';

export function requestKey(host: string, port: number, binary: string): string {
  return `${host.toLowerCase()}|${port}|${binary}`;
}

/** Cuts text to at most `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What approving an entry whose binary could not be identified would let through. */
export function unknownBinaryWarning(host: string, port: number): string {
  return (
    `the core could not tell which program asked (another user's process, another network namespace, or one that exited); ` +
    `approving it lets any program the core cannot identify reach ${host}:${port}`
  );
}
