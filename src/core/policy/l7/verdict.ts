// How an L7 judgement becomes a Decision: enforcement (upstream's default is audit), hard denials that
// no audit mode lets through (malformed input), and the facts inspection saw.
import type { CompiledEndpoint } from '../matcher.js';
import type { Decision, DecisionRequest, L7Facts } from '../types.js';

export interface L7Context {
  request: DecisionRequest;
  policy: string;
  /** The method token exactly as sent. */
  method: string;
  /** The canonical path. */
  path: string;
  query: Record<string, string[]>;
  /** The endpoint whose `path` most specifically covers the request: it sets protocol and enforcement. */
  routed: CompiledEndpoint;
  /** Every matching endpoint of the same protocol family whose `path` covers the request: their rules combine. */
  peers: CompiledEndpoint[];
}

/** Refused before any rule or audit mode applies: the request could not be read as its protocol. */
export function hardDeny(ctx: L7Context, reason: string, l7?: L7Facts): Decision {
  const d: Decision = { outcome: 'deny', policy: ctx.policy, stage: 'l7', audit: false, reason };
  if (l7) d.l7 = l7;
  return d;
}

export function allowed(ctx: L7Context, reason: string, l7: L7Facts): Decision {
  return { outcome: 'allow', policy: ctx.policy, stage: 'l7', audit: false, reason, l7 };
}

/**
 * What the rules did not allow: denied under `enforcement: enforce`, otherwise (upstream's default, audit)
 * let through and marked. `pendable` marks an operation no rule allowed or denied (an unlisted MCP tool,
 * JSON-RPC method or GraphQL operation), which the operator may still decide.
 */
export function notAllowed(ctx: L7Context, why: string, l7: L7Facts, pendable: boolean): Decision {
  if (!ctx.routed.l7?.enforce) {
    return { outcome: 'allow', policy: ctx.policy, stage: 'l7', audit: true, reason: `${why} (audit mode: allowed and logged)`, l7 };
  }
  const d: Decision = { outcome: 'deny', policy: ctx.policy, stage: 'l7', audit: false, reason: why, l7 };
  if (pendable) d.pendable = true;
  return d;
}
