// Remote data the console asks for (rather than being told by events): a sandbox's policy and revisions,
// a comparison of two revisions, the gateway's providers, its presets. Each kind has one slot in the
// console store, filled by the one query hook; the slot's key says which question it answers, so a late
// answer to an old question is dropped and a view never shows another sandbox's data.
import { diffRevisions, type DiffLine } from '../core/revisions/revision-diff.js';
import { errorInfo, type ErrorInfo } from '../gateway/errors.js';
import type { Gateway, PolicyView, PresetSummary, ProviderInfo, RevisionInfo } from '../gateway/gateway.js';
import type { DraftHistoryEntry, ProviderDetail, SandboxMetadata, SettingRow, WorkspaceInfo } from '../gateway/operator-views.js';

export interface RevisionComparison {
  from: number;
  to: number;
  lines: DiffLine[];
}

export interface QueryData {
  policy: PolicyView;
  revisions: RevisionInfo[];
  comparison: RevisionComparison;
  providers: ProviderInfo[];
  presets: PresetSummary[];
  workspaces: WorkspaceInfo[];
  sandboxMetadata: SandboxMetadata;
  /** A sandbox's effective settings. */
  settings: SettingRow[];
  globalSettings: SettingRow[];
  providerDetail: ProviderDetail;
  draftHistory: DraftHistoryEntry[];
}

export type QueryKind = keyof QueryData;

/** A question: its kind, the sandbox it is about, and a key that changes whenever the answer may have. */
export interface QueryWant {
  kind: QueryKind;
  /** kind + sandbox: answers within a family may stand in for each other while a fresher one loads. */
  family: string;
  key: string;
  sandbox?: string;
  /** comparison: the past revision. */
  revision?: number;
  /** providerDetail: the provider. */
  subject?: string;
}

export interface QuerySlot<T> {
  family: string;
  key: string;
  status: 'loading' | 'ok' | 'error';
  data?: T;
  error?: ErrorInfo;
}

export type QuerySlots = { [K in QueryKind]?: QuerySlot<QueryData[K]> };

export function want(kind: QueryKind, sandbox: string | undefined, at: string | number, revision?: number): QueryWant {
  const family = `${kind}|${sandbox ?? ''}${revision === undefined ? '' : `|${revision}`}`;
  return { kind, family, key: `${family}@${at}`, sandbox, ...(revision === undefined ? {} : { revision }) };
}

/** A question about something named (a provider), not a sandbox. */
export function wantNamed(kind: QueryKind, subject: string, at: string | number): QueryWant {
  const family = `${kind}|@${subject}`;
  return { kind, family, key: `${family}@${at}`, subject };
}

/** Asks the gateway. */
export async function fetchQuery(gateway: Gateway, q: QueryWant): Promise<QueryData[QueryKind]> {
  switch (q.kind) {
    case 'policy':
      return gateway.policy(undefined, q.sandbox);
    case 'revisions':
      return gateway.revisions(q.sandbox);
    case 'comparison': {
      const [before, now] = await Promise.all([gateway.policy(q.revision, q.sandbox), gateway.policy(undefined, q.sandbox)]);
      return { from: before.revision.number, to: now.revision.number, lines: diffRevisions(before.yaml, now.yaml) };
    }
    case 'providers':
      return gateway.providers();
    case 'presets':
      return gateway.presets(q.sandbox);
    case 'workspaces':
      return gateway.workspaces();
    case 'sandboxMetadata':
      return gateway.sandboxMetadata(q.sandbox);
    case 'settings':
      return gateway.settings({ sandbox: q.sandbox });
    case 'globalSettings':
      return gateway.settings('global');
    case 'providerDetail':
      return gateway.providerDetail(q.subject ?? '');
    case 'draftHistory':
      return gateway.draftHistory(q.sandbox);
  }
}

/** Whether the slot already holds (or is fetching) this question's answer. */
export const answered = (slots: QuerySlots, q: QueryWant) => slots[q.kind]?.key === q.key;

/** A slot as a view reads it: data of the same family (perhaps one revision old while the new loads), else nothing. */
export function readSlot<K extends QueryKind>(
  slots: QuerySlots,
  q: QueryWant & { kind: K },
): { data?: QueryData[K]; error?: ErrorInfo; loading: boolean } {
  const slot = slots[q.kind] as QuerySlot<QueryData[K]> | undefined;
  if (!slot || slot.family !== q.family) return { loading: true };
  return { data: slot.data, error: slot.status === 'error' ? slot.error : undefined, loading: slot.status === 'loading' };
}

/** The slot after an answer (or a failure) to `q`. */
export function settledSlot(
  q: QueryWant,
  outcome: { data: unknown } | { error: unknown },
  previous?: QuerySlot<unknown>,
): QuerySlot<unknown> {
  if ('data' in outcome) return { family: q.family, key: q.key, status: 'ok', data: outcome.data };
  return {
    family: q.family,
    key: q.key,
    status: 'error',
    error: errorInfo(outcome.error),
    data: previous?.family === q.family ? previous.data : undefined,
  };
}
