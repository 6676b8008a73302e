// A pending request is what the operator decides on: every attempt at the same (host, port, binary)
// folds into one entry with a hit count, first/last seen, and a few L7 samples.

export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface L7Sample {
  method: string;
  path: string;
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
  /** Most recent distinct method+path pairs seen (bounded). */
  samples: L7Sample[];
  status: RequestStatus;
  /** Connections currently held open waiting for a decision. */
  held: number;
  /** When the oldest held connection gives up (ms epoch), for countdowns. */
  holdDeadline?: number;
  /** Why the policy did not allow it (the engine's reason). */
  reason: string;
  decidedAt?: number;
  decidedBy?: string;
  decisionNote?: string;
  /** For approvals with a lifetime: when it lapses (ms epoch). */
  expiresAt?: number;
}

export const MAX_SAMPLES = 5;

export function requestKey(host: string, port: number, binary: string): string {
  return `${host.toLowerCase()}|${port}|${binary}`;
}
