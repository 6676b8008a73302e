// A pending request is what the operator decides on: every attempt at the same (host, port, binary)
// folds into one entry with a hit count, first/last seen, and a few L7 samples. Everything in it that an
// agent controls is bounded, so a flood of odd requests cannot grow the core's memory.
//
// On an endpoint decided on the body (MCP, JSON-RPC, GraphQL) the host is allowed and what waits is one
// operation the rules do not list (an MCP tool, a JSON-RPC method, a GraphQL operation): each such
// operation is an entry of its own (`operation`), so approving it allows exactly that operation.
import type { L7Facts } from '../policy/types.js';

export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface L7Sample {
  method: string;
  path: string;
  /** What the request is at L7 when more than a method and path (an MCP tool, a JSON-RPC method, a GraphQL operation, a WebSocket), when known. */
  badge?: string;
  /** What L7 inspection read in the body, in words ("MCP tools/call tool 'x'"), when the request was decided on it. */
  operation?: string;
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

/** The operation an entry on a body-decided endpoint is about (tool, method or GraphQL operation). */
export type L7Operation = Exclude<L7Facts, { kind: 'http' }>;

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
  /**
   * Set when the host is allowed and one L7 operation waits (an MCP tool, a JSON-RPC method, a GraphQL
   * operation no rule lists): approving allows exactly it, on this host, for this binary.
   */
  operation?: L7Operation;
  /** The endpoint path the operation was sent to (the MCP / JSON-RPC / GraphQL endpoint). */
  operationPath?: string;
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

export function requestKey(host: string, port: number, binary: string, operation?: L7Operation): string {
  const key = `${host.toLowerCase()}|${port}|${binary}`;
  return operation ? `${key}|${operationKey(operation)}` : key;
}

/** One operation as a key: two tools on one host are two entries. */
export function operationKey(op: L7Operation): string {
  if (op.kind === 'mcp') return `mcp\u0000${op.method}\u0000${op.tool ?? ''}`;
  if (op.kind === 'json-rpc') return `json-rpc\u0000${op.method}`;
  return `graphql\u0000${op.operationType}\u0000${op.operationName ?? ''}`;
}

/** The operation in words, for samples, logs and the console. */
export function describeOperation(op: L7Operation): string {
  if (op.kind === 'mcp') return op.tool !== undefined ? `MCP ${op.method} tool '${op.tool}'` : `MCP method '${op.method}'`;
  if (op.kind === 'json-rpc') return `JSON-RPC method '${op.method}'`;
  return `GraphQL ${op.operationType}${op.operationName ? ` '${op.operationName}'` : ' (anonymous)'}`;
}

/** The operation in a few characters, for a table cell: the tool name first, where it fits. */
export function shortOperation(op: L7Operation): string {
  if (op.kind === 'mcp') return op.tool !== undefined ? `tool ${op.tool}` : `mcp ${op.method}`;
  if (op.kind === 'json-rpc') return `rpc ${op.method}`;
  return `${op.operationType} ${op.operationName ?? '(anonymous)'}`;
}

/** The operation with every agent-controlled string bounded (MCP tool names are bounded by the parser already). */
export function boundedOperation(op: L7Operation): L7Operation {
  if (op.kind === 'mcp') {
    const method = clip(op.method, MAX_SAMPLE_PATH);
    return op.tool !== undefined ? { kind: 'mcp', method, tool: clip(op.tool, MAX_SAMPLE_PATH) } : { kind: 'mcp', method };
  }
  if (op.kind === 'json-rpc') return { kind: 'json-rpc', method: clip(op.method, MAX_SAMPLE_PATH) };
  const bounded: L7Operation = { kind: 'graphql', operationType: clip(op.operationType, MAX_SAMPLE_METHOD) };
  if (op.operationName !== undefined) bounded.operationName = clip(op.operationName, MAX_SAMPLE_PATH);
  return bounded;
}

/** What approving an operation entry allows, when that is wider than the one request it saw. */
export function operationWarning(host: string, op: L7Operation): string | undefined {
  if (op.kind === 'graphql' && !op.operationName)
    return `this GraphQL ${op.operationType} has no operation name to pin an approval to: approving allows every ${op.operationType} on ${host} for this binary`;
  return undefined;
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
