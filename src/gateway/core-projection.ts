// The one projection of the enforcement core's events: which core events change what a client shows,
// and what each becomes. The embedded Gateway maps these changes to gateway events; the feed server and
// the gRPC server can map them to their wire formats the same way, so no adapter subscribes to core
// event names of its own (and every one gets the same unsubscribe to call on stop).
import type { AuditHealth, InboxHealth } from '../core/engine/core-events.js';
import type { CoreEvents, CoreNotice, EnforcementCore } from '../core/engine/enforcement-core.js';
import { auditWarning } from './feed/protocol.js';
import { type LogLine, logKindOf } from '../core/engine/log-buffer.js';
import type { PendingRequest } from '../core/inbox/pending-request.js';
import type { PromoteResult } from '../core/presets/preset-manager.js';
import type { Revision } from '../core/revisions/revision-log.js';
import type { GatewayEvent, GatewayNotice, InboxRequest, PromoteOutcome, RevisionInfo } from './gateway.js';

/** What happened to a request: it is new, it changed (hits, holds, an undo), or an operator decided it. */
export type RequestChange = 'new' | 'updated' | 'decided';

/** A change a client must show. Requests are copies taken when the event fired (the core mutates its own). */
export type CoreChange =
  | { type: 'request'; request: PendingRequest; change: RequestChange }
  | { type: 'revision'; revision: RevisionInfo }
  | { type: 'log'; line: LogLine };

/** What the projection needs of a core (structural, so tests and other cores can stand in). */
export type CoreSource = Pick<EnforcementCore, 'on' | 'off' | 'listRequests' | 'revision' | 'logs'>;

/** Every core event after which a request looks different (each carries the whole request), and what it means. */
const REQUEST_EVENTS = {
  'request.pending': 'new',
  'request.updated': 'updated',
  'request.decided': 'decided',
} as const satisfies Partial<Record<keyof CoreEvents, RequestChange>>;
type RequestEvent = keyof typeof REQUEST_EVENTS;

export const copyRequest = (r: PendingRequest): PendingRequest => ({ ...r, samples: [...r.samples] });

export const revisionInfo = (r: Revision | RevisionInfo): RevisionInfo => ({
  number: r.number,
  sha256: r.sha256,
  time: r.time,
  cause: r.cause,
  detail: r.detail,
});

/**
 * Calls `listener` for every change, in the order the core made them, until the returned function is
 * called. Subscribe before taking a snapshot: a change in between then arrives twice, never not at all
 * (request changes carry the whole request, so applying one twice is harmless).
 */
export function watchCore(core: CoreSource, listener: (change: CoreChange) => void): () => void {
  const onRequest = Object.fromEntries(
    Object.entries(REQUEST_EVENTS).map(([name, change]) => [
      name,
      (request: PendingRequest) => listener({ type: 'request', request: copyRequest(request), change }),
    ]),
  ) as Record<RequestEvent, (request: PendingRequest) => void>;
  const requestEvents = Object.keys(REQUEST_EVENTS) as RequestEvent[];
  const onRevision = (revision: Revision) => listener({ type: 'revision', revision: revisionInfo(revision) });
  const onLog = (line: LogLine) => listener({ type: 'log', line: withKind(line) });
  for (const name of requestEvents) core.on(name, onRequest[name]);
  core.on('policy.revision', onRevision);
  core.on('log', onLog);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    for (const name of requestEvents) core.off(name, onRequest[name]);
    core.off('policy.revision', onRevision);
    core.off('log', onLog);
  };
}

/** The core's notices (the feed forwards them as they are), through the same door as every other subscription. */
export function watchCoreNotices(core: Pick<EnforcementCore, 'on' | 'off'>, listener: (notice: CoreNotice) => void): () => void {
  core.on('notice', listener);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    core.off('notice', listener);
  };
}

export interface CoreSnapshot {
  requests: PendingRequest[];
  revision: RevisionInfo;
  logs: LogLine[];
}

/** The state a new client starts from; `logs` caps how many recent log lines come with it. */
export function snapshotCore(core: CoreSource, options: { logs?: number } = {}): CoreSnapshot {
  const logs = core.logs.since(0);
  return {
    requests: core.listRequests().map(copyRequest),
    revision: revisionInfo(core.revision),
    logs: (options.logs === undefined ? logs : logs.slice(-options.logs)).map(withKind),
  };
}

/**
 * Every line a client gets says what it is about: the core tags the lines it knows (new requests,
 * timeouts, decisions, denials, TLS, upstream); lines from elsewhere (presets, merges, the feed) get the
 * kind their source implies, here, once for every adapter.
 */
export const withKind = (line: LogLine): LogLine => (line.kind ? line : { ...line, kind: logKindOf(line) });

/** A core change as the console's gateway event, for a core standing for `sandbox`. */
export function gatewayEventOf(change: CoreChange, sandbox: string, decorate: (r: InboxRequest) => InboxRequest = (r) => r): GatewayEvent {
  switch (change.type) {
    case 'request':
      return { type: 'request', request: decorate({ ...change.request, sandbox }) };
    case 'revision':
      return { type: 'revision', revision: change.revision };
    case 'log':
      return { type: 'log', line: change.line };
  }
}

/**
 * A core's promote result as a gateway outcome: what happened to the file, its diff, the tunnel, what was
 * released (the request itself stays behind). Takes the result in process, or as the feed carried it.
 */
export function promoteOutcomeOf(r: PromoteResult | PromoteOutcome): PromoteOutcome {
  return {
    name: r.name,
    file: r.file,
    yaml: r.yaml,
    dryRun: r.dryRun,
    change: r.change,
    summary: r.summary,
    diff: r.diff,
    ...(r.tunnel ? { tunnel: r.tunnel } : {}),
    released: r.released,
  };
}

/** A core notice as the gateway's notice: one topic per condition, `active: false` its all-clear. */
export function gatewayNoticeOf(notice: CoreNotice): GatewayNotice {
  switch (notice.kind) {
    case 'audit-failing':
    case 'audit-recovered':
      return { topic: 'audit', active: notice.kind === 'audit-failing', message: notice.message };
    case 'inbox-full':
    case 'inbox-open':
      return { topic: 'inbox', active: notice.kind === 'inbox-full', message: notice.message };
  }
}

/** The conditions a core's health shows at connect time, as notices (the core sends notices only when they change). */
export function healthNotices(health: { audit?: AuditHealth; inbox?: InboxHealth }): GatewayNotice[] {
  const notices: GatewayNotice[] = [];
  if (health.audit && !health.audit.writable) notices.push({ topic: 'audit', active: true, message: auditWarning(health.audit) });
  const inbox = health.inbox;
  if (inbox && inbox.pending >= inbox.maxPending)
    notices.push({
      topic: 'inbox',
      active: true,
      message: `the inbox is full: ${inbox.maxPending} requests wait for a decision (--max-pending); requests for new destinations are refused at once (${inbox.refused} so far)`,
    });
  return notices;
}
