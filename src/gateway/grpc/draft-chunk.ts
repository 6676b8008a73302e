// An inbox entry as an openshell.v1.PolicyChunk: what the served core shows remote consoles. The rule
// proposed is exactly what approving adds (host:port, pinned to the binary); the review token binds a
// decision to the chunk and the effective policy as they were fetched, as upstream's token does.
import { createHash } from 'node:crypto';
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import type { NetworkPolicyRule } from '../../core/policy/types.js';
import { canonicalYaml } from '../../core/revisions/canonical-yaml.js';
import { classifyIp } from '../../core/policy/ip.js';
import { ruleToProto } from './policy-codec.js';
import { type ServedGeneration, timeField } from './server/served-wire.js';

/** Upstream's generated rule name for a host and port (openshell-policy generated_rule_name). */
export function generatedRuleName(host: string, port: number): string {
  return `allow_${host.replace(/[.-]/g, '_').replace(/[^\p{L}\p{N}_]/gu, '')}_${port}`;
}

/** Exactly what approving adds: the host and port, pinned to the binary that asked. */
export function proposedRule(request: PendingRequest): NetworkPolicyRule {
  const endpoint = { host: request.host, port: request.port };
  return {
    name: generatedRuleName(request.host, request.port),
    endpoints: [endpoint],
    binaries: request.binary === 'unknown' ? [] : [{ path: request.binary }],
  };
}

/** The rationale names the L7 samples as "Seen: METHOD PATH, …" (a chunk has no field of its own for them). */
export const SEEN_PREFIX = '. Seen: ';

/** Only three states exist upstream; an approval that lapsed is waiting for a decision again. */
export function chunkStatus(request: PendingRequest): 'pending' | 'approved' | 'rejected' {
  return request.status === 'expired' ? 'pending' : request.status;
}

export function reviewToken(request: PendingRequest, policySha256: string): string {
  return createHash('sha256')
    .update(`openshell-term-review-v1\0${request.id}\0${chunkStatus(request)}\0${canonicalYaml(proposedRule(request))}\0${policySha256}`)
    .digest('hex');
}

const DATABASE_PORTS = new Set([5432, 3306, 6379, 27017, 9200, 11211, 5672]);

/** The subset of upstream's security notes that apply to a proposal made from one request. */
export function securityNotes(request: PendingRequest): string {
  const notes: string[] = [];
  if (classifyIp(request.host) === 'internal') notes.push(`${request.host} is a private address literal`);
  if (request.port > 49152) notes.push(`port ${request.port} is in the ephemeral range`);
  if (DATABASE_PORTS.has(request.port)) notes.push(`port ${request.port} is a well-known database port`);
  if (request.binary === 'unknown') notes.push('the requesting binary is unknown: approving allows any binary');
  return notes.join('; ');
}

function rationale(request: PendingRequest): string {
  const paths = request.samples.map((s) => `${s.method} ${s.path}`).join(', ');
  return `${request.reason}${paths ? `${SEEN_PREFIX}${paths}` : ''}`;
}

export function toPolicyChunk(request: PendingRequest, policySha256: string, gen: ServedGeneration = 'legacy') {
  const status = chunkStatus(request);
  return {
    id: request.id,
    status,
    rule_name: generatedRuleName(request.host, request.port),
    proposed_rule: ruleToProto(proposedRule(request), gen),
    rationale: rationale(request),
    security_notes: securityNotes(request),
    confidence: 0,
    ...timeField(gen, 'created_at_ms', 'created_time', request.firstSeen),
    ...timeField(gen, 'decided_at_ms', 'decided_time', status === 'pending' ? 0 : (request.decidedAt ?? 0)),
    hit_count: request.hits,
    ...timeField(gen, 'first_seen_ms', 'first_seen_time', request.firstSeen),
    ...timeField(gen, 'last_seen_ms', 'last_seen_time', request.lastSeen),
    binary: request.binary,
    rejection_reason: status === 'rejected' ? (request.decisionNote ?? '') : '',
    review_token: reviewToken(request, policySha256),
    current_effective_policy_hash: policySha256,
  };
}
