// Compact marks for an inbox row, so what the gateway and the operator said about a proposal shows in the
// list, not only in the detail: the prover / auto-approval verdict, a security flag, the rejection
// guidance the agent redrafts from, and a denial still awaiting its proposal.
import type { InboxRequest } from '../src/gateway/gateway.js';

const ANNOTATION: Record<NonNullable<NonNullable<InboxRequest['proposal']>['annotation']>['kind'], string> = {
  'application-blocked': '✗blocked',
  'review-required': '!review',
  'auto-approved': '✓auto',
  reviewed: '✓reviewed',
};

/** The row's badges, space-separated ('' when there is nothing to say). */
export function badgesOf(r: InboxRequest): string {
  const out: string[] = [];
  const p = r.proposal;
  if (p?.annotation) out.push(ANNOTATION[p.annotation.kind]);
  if (p?.securityNotes.trim()) out.push('⚠flagged');
  if (p?.guidance) out.push('↩guidance');
  return out.join(' ');
}
