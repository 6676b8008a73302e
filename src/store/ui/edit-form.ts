// The edit form: narrowing a gateway's proposal before approving it (EditDraftChunk). Four text fields,
// filled with what the proposal has — ports, binaries, L7 paths, allowed_ips — each a list separated by
// commas or spaces. Only fields the operator changed are sent. Typed first (a port is a number in range,
// a binary a literal absolute path, a path starts with /), then checked against the proposal by the same
// narrowing the adapter applies, so the form says what is wrong before anything is sent.
import type { NetworkPolicyRule } from '../../core/policy/types.js';
import type { ChunkNarrowing, InboxRequest } from '../../gateway/gateway.js';
import { literalPath, narrowRule } from '../../gateway/grpc/chunk-edits.js';
import { messageOf } from '../../gateway/errors.js';

export const EDIT_FIELDS = ['ports', 'binaries', 'paths', 'allowedIps'] as const;
export type EditField = (typeof EDIT_FIELDS)[number];
export const EDIT_LABELS: Record<EditField, string> = {
  ports: 'ports',
  binaries: 'binaries',
  paths: 'paths',
  allowedIps: 'allowed_ips',
};

export interface EditState {
  requestId: string;
  values: Record<EditField, string>;
  /** What the proposal had: an unchanged field is not sent. */
  initial: Record<EditField, string>;
  focus: number;
}

const join = (items: Iterable<string | number>) => [...new Set(items)].join(', ');
const split = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** The form for a request's proposal, or why it cannot be edited. */
export function openEdit(request: InboxRequest): { edit: EditState } | { error: string } {
  if (request.awaitingProposal) return { error: `${request.id} has no proposal yet: edit it once the gateway drafts one` };
  if (request.status !== 'pending') return { error: `${request.id} is ${request.status}; only pending proposals can be edited` };
  const rule = request.proposal?.rule;
  if (!rule) return { error: `${request.id} has no proposed rule to narrow` };
  const endpoints = rule.endpoints;
  const initial: Record<EditField, string> = {
    ports: join(endpoints.flatMap((e) => [...(e.port ? [e.port] : []), ...(e.ports ?? [])])),
    binaries: join(rule.binaries.map((b) => b.path)),
    paths: join(endpoints.flatMap((e) => (e.rules ?? []).map((r) => r.allow.path).filter((p): p is string => !!p))),
    allowedIps: join(endpoints.flatMap((e) => e.allowed_ips ?? [])),
  };
  return { edit: { requestId: request.id, values: { ...initial }, initial, focus: 0 } };
}

/** What the form asks for, typed and checked against the proposal; or the first thing wrong with it. */
export function checkEdit(edit: EditState, rule: NetworkPolicyRule): { change: ChunkNarrowing } | { error: string } {
  const change: ChunkNarrowing = {};
  const changed = (f: EditField) => split(edit.values[f]).join(',') !== split(edit.initial[f]).join(',');
  if (changed('ports')) {
    const words = split(edit.values.ports);
    const bad = words.find((w) => !/^\d{1,5}$/.test(w) || Number(w) < 1 || Number(w) > 65535);
    if (bad !== undefined) return { error: `ports: '${bad}' is not a port (1-65535)` };
    change.ports = words.map(Number);
  }
  if (changed('binaries')) {
    const words = split(edit.values.binaries);
    const bad = words.find((w) => !literalPath(w));
    if (bad !== undefined) return { error: `binaries: '${bad}' is not a literal absolute path (no globs)` };
    change.binaries = words;
  }
  if (changed('paths')) {
    const words = split(edit.values.paths);
    const bad = words.find((w) => !w.startsWith('/'));
    if (bad !== undefined) return { error: `paths: '${bad}' does not start with /` };
    change.paths = words;
  }
  if (changed('allowedIps')) change.allowedIps = split(edit.values.allowedIps);
  if (Object.keys(change).length === 0) return { error: 'nothing narrowed yet: change a field (Esc closes; a approves as proposed)' };
  try {
    narrowRule(rule, change);
  } catch (error) {
    return { error: messageOf(error) };
  }
  return { change };
}

/** A one-line account of a narrowing, for the status line. */
export function describeNarrowing(change: ChunkNarrowing): string {
  return EDIT_FIELDS.filter((f) => change[f])
    .map((f) => `${EDIT_LABELS[f]} ${(change[f] as Array<string | number>).join(',')}`)
    .join('; ');
}
