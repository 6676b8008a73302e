// The embedded enforcement core: the effective policy (baseline + presets + session approvals), the
// inbox of requests no rule allows, operator decisions, revisions and logs. Headless: the proxy asks it
// for verdicts, the console and CLI drive it through the same methods (locally or over the feed).
//
// It keeps its own counsel: the inbox is private, every change of a request's state is made here and
// announced by exactly one event (core-events.ts). Every operator change is audited before it is applied,
// in the same synchronous step, so nothing is in force without its record; with auditRequired, approvals
// are refused while the record cannot be written. What an agent can push is bounded: entries waiting
// (maxPending; past it new destinations are refused at once, and the operator is told once), connections
// held (maxHeld; a held client that goes away gives its slot back at once), and the size of what is kept.
import { EventEmitter } from 'node:events';
import {
  approvalKey,
  approvalLayer,
  approvalRule,
  formatLifetime,
  keepHostL7,
  type ApprovalLifetime,
  type SessionApproval,
} from '../approvals/session-approvals.js';
import type { AuditLog, AuditState, ConfigEvent } from '../audit/audit-log.js';
import { Inbox, type HoldOutcome } from '../inbox/inbox.js';
import { operationProbes } from '../inbox/operation-probe.js';
import {
  describeOperation,
  MAX_HOST,
  requestKey,
  UNKNOWN_BINARY,
  type L7Operation,
  type L7Sample,
  type PendingRequest,
  type RequestFailure,
} from '../inbox/pending-request.js';
import { bodyNeeds, type BodyNeeds } from '../policy/body-needs.js';
import { decide } from '../policy/decide.js';
import { policyWarnings } from '../policy/effective-warnings.js';
import { composeLayers, type ComposedPolicy, type PolicyLayer } from '../policy/layers.js';
import { compilePolicy, type CompiledPolicy } from '../policy/matcher.js';
import type { Decision, DecisionRequest, SandboxPolicy } from '../policy/types.js';
import { RevisionLog, type Revision, type RevisionCause } from '../revisions/revision-log.js';
import type { CoreEvents, CoreHealth, CoreNotice } from './core-events.js';
import { LogBuffer, type LogKind, type LogLevel } from './log-buffer.js';

export type { CoreEvents, CoreHealth, CoreNotice } from './core-events.js';

export const DEFAULT_MAX_PENDING = 1000;
export const DEFAULT_MAX_HELD = 256;

export interface CoreOptions {
  baseline: SandboxPolicy;
  /** Where every decision is recorded (OCSF JSON Lines); optional for embedded uses such as tests. */
  audit?: AuditLog;
  /** Preset layers in force (re-read on refreshPolicy). */
  presetLayers?: () => PolicyLayer[];
  holdTimeoutMs?: number;
  maxHeld?: number;
  /** Most entries waiting for a decision (default 1000); a request for a new destination past it is refused at once. */
  maxPending?: number;
  /** Refuse approvals and other changes that widen access while the audit log cannot be written. */
  auditRequired?: boolean;
  /** --allow-loopback: loopback upstreams pass the destination guard however the policy names them. */
  allowLoopback?: boolean;
}

export interface Verdict {
  allowed: boolean;
  decision: Decision;
  /**
   * For an allowed request decided before name resolution: the same decision again with the resolved
   * addresses, so the destination guard sees them. (Resolving only what policy allows means a blocked
   * host never costs — or leaks — a DNS query.)
   */
  withAddresses?: (resolved_ips: string[]) => Decision;
  /** The inbox entry, when the request went through the inbox. */
  request?: PendingRequest;
  /** How long the connection was held for a decision (ms). */
  heldMs?: number;
}

export interface EvaluateInput extends DecisionRequest {
  pid?: number;
  /** Aborted when the client goes away: a held connection gives its --max-held slot back at once. */
  signal?: AbortSignal;
}

export interface ApproveOptions {
  /**
   * Approve even when the binary is `unknown`. Such an approval cannot be pinned to a program: it lets
   * every client the core cannot identify reach that host and port, so it is refused unless asked for.
   */
  allowUnknownBinary?: boolean;
}

export interface ApproveManyResult {
  approved: PendingRequest[];
  /** Entries not approved, and why (an `unknown` binary without allowUnknownBinary). */
  skipped: Array<{ request: PendingRequest; reason: string }>;
}

/** A policy computed from layers but not yet in force: audited first, then installed. */
interface PlannedPolicy {
  composed: ComposedPolicy;
  compiled: CompiledPolicy;
  revision: Revision;
}

export class EnforcementCore extends EventEmitter<CoreEvents> {
  readonly revisions = new RevisionLog();
  readonly logs = new LogBuffer();
  readonly #inbox: Inbox;
  #approvals = new Map<string, SessionApproval>();
  readonly #expiryTimers = new Map<string, NodeJS.Timeout>();
  readonly #rejections = new Set<string>();
  /** Evaluations under way; shutdown waits until each has answered its client. */
  readonly #inFlight = new Set<Promise<Verdict>>();
  #compiled: CompiledPolicy;
  #composed: ComposedPolicy;
  #holdTimeoutMs: number;
  readonly #maxPending: number;
  readonly #maxHeld: number;
  readonly #baseline: SandboxPolicy;
  #stopping: Promise<void> | undefined;
  #reportingListenerError = false;
  readonly #unwatchAudit: () => void;
  /** What the operator must know about the policy in force (see effective-warnings.ts); logged when it changes. */
  policyWarnings: string[] = [];

  constructor(private readonly options: CoreOptions) {
    super();
    this.#baseline = options.baseline;
    this.#holdTimeoutMs = options.holdTimeoutMs ?? 30_000;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD;
    this.#inbox = new Inbox({
      maxHeld: this.#maxHeld,
      maxPending: this.#maxPending,
      onRelease: (entry, outcome) => {
        if (outcome === 'timeout')
          this.log('info', 'inbox', `${entry.id} ${entry.host}:${entry.port}: a held connection timed out without a decision`, 'timeout');
        this.emit('request.updated', entry);
      },
    });
    const planned = this.plan(this.#approvals, 'baseline', 'start');
    this.#composed = planned.composed;
    this.#compiled = planned.compiled;
    this.revisions.commit(planned.revision);
    this.notePolicyWarnings();
    this.#unwatchAudit = options.audit?.onHealth((state) => this.auditChanged(state)) ?? (() => {});
  }

  /** The effective policy and where each key came from. */
  get effective(): ComposedPolicy {
    return this.#composed;
  }

  get revision(): Revision {
    return this.revisions.current()!;
  }

  log(level: LogLevel, source: string, message: string, kind?: LogKind): void {
    this.emit('log', this.logs.push(level, source, message, kind));
  }

  /** The inbox entry traffic belongs to: by its id, by the session approval that let it through, or by destination and binary. */
  private entryOf(
    input: { host: string; port: number; binary: string },
    requestId?: string,
    policy?: string | null,
  ): PendingRequest | undefined {
    const approved = policy?.startsWith(APPROVAL_PREFIX) ? policy.slice(APPROVAL_PREFIX.length) : undefined;
    return (
      (requestId ? this.#inbox.get(requestId) : undefined) ??
      (approved ? this.#inbox.get(approved) : undefined) ??
      this.#inbox.find(input.host, input.port, input.binary)
    );
  }

  /** Puts a failure on the entry its traffic belongs to (if any) and tells every client. */
  private markFailure(entry: PendingRequest | undefined, failure: RequestFailure): void {
    if (!entry) return;
    entry.failure = failure;
    this.emit('request.updated', entry);
  }

  /**
   * An agent gave up on the TLS handshake of an inspected tunnel: almost always because it does not trust
   * the core's CA. Logged (kind tls) and shown on the request's entry with `fix`.
   */
  tlsHandshakeFailed(target: { host: string; port: number; binary: string; requestId?: string }, why: string, fix: string): void {
    const entry = this.entryOf(target, target.requestId);
    this.log(
      'warn',
      'proxy',
      `TLS handshake with the agent failed for ${target.host}:${target.port}${entry ? ` (request ${entry.id})` : ''} (${target.binary}): ${why}. ${fix}`,
      'tls',
    );
    this.markFailure(entry, { kind: 'tls', time: Date.now(), cause: why, fix });
  }

  /**
   * An allowed request whose upstream could not be reached or failed (refused, reset, DNS, timeout, a bad
   * certificate): logged and audited as failed, so it never reads as a denial or as a success.
   */
  upstreamFailed(input: EvaluateInput, failure: { cause: string; policy?: string | null; requestId?: string; status?: number }): void {
    const what = input.method ? ` ${input.method} ${input.path ?? ''}` : '';
    const status = failure.status ? `${failure.status} ` : '';
    this.log(
      'warn',
      'proxy',
      `upstream failed for ${input.host}:${input.port}${what} (${input.binary}): ${status}${failure.cause}`,
      'upstream',
    );
    this.markFailure(this.entryOf(input, failure.requestId, failure.policy), {
      kind: 'upstream',
      time: Date.now(),
      cause: failure.cause,
      status: failure.status,
      fix: 'the policy allowed it; the destination failed (check the host, its port and the network from the core)',
    });
    this.options.audit?.network({
      action: 'failed',
      host: input.host,
      port: input.port,
      binary: input.binary,
      pid: input.pid,
      method: input.method,
      path: input.path,
      policy: failure.policy ?? null,
      stage: 'upstream',
      reason: failure.cause,
      requestId: failure.requestId,
    });
  }

  /**
   * Calls every listener even when one throws: a broken subscriber (a feed client, the console) must not
   * fail the decision that emitted the event, nor keep the other subscribers from hearing it.
   */
  override emit<K extends keyof CoreEvents>(name: K, ...args: CoreEvents[K]): boolean {
    const listeners = this.rawListeners(name as string) as Array<(...a: unknown[]) => void>;
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (error) {
        if (this.#reportingListenerError) continue;
        this.#reportingListenerError = true;
        try {
          this.log('error', 'core', `a ${String(name)} subscriber failed: ${(error as Error)?.message ?? String(error)}`);
        } finally {
          this.#reportingListenerError = false;
        }
      }
    }
    return listeners.length > 0;
  }

  health(): CoreHealth {
    const audit = this.options.audit?.health;
    return {
      inbox: {
        pending: this.#inbox.pendingCount,
        maxPending: this.#maxPending,
        refused: this.#inbox.refused,
        held: this.#inbox.heldCount,
        maxHeld: this.#maxHeld,
        heldOverflow: this.#inbox.heldOverflow,
      },
      audit: {
        writable: audit?.writable ?? true,
        ...(audit?.error ? { error: describeError(audit.error) } : {}),
        ...(audit?.since ? { since: audit.since } : {}),
        lost: audit?.lost ?? 0,
        required: Boolean(this.options.auditRequired),
      },
    };
  }

  /**
   * What deciding a request on host:port (and this path) needs to read first: for an endpoint decided on
   * the body (json-rpc, mcp, graphql), the protocol and how many body bytes to hold; undefined otherwise.
   */
  inspectionNeeds(host: string, port: number, binary: string, path: string): BodyNeeds | undefined {
    return bodyNeeds(this.#compiled, host, port, binary, path);
  }

  /**
   * A request refused before it could be decided, because what the decision must read could not be read
   * (a body over the inspection limit): logged and audited as denied, so no refusal goes unrecorded.
   */
  refusedUnread(input: EvaluateInput, reason: string): void {
    this.log('info', 'policy', `denied ${input.host}:${input.port} (${input.binary}) at l7: ${reason}`, 'denial');
    this.options.audit?.network({
      action: 'denied',
      host: input.host,
      port: input.port,
      binary: input.binary,
      pid: input.pid,
      method: input.method,
      path: input.path,
      policy: null,
      stage: 'l7',
      reason,
    });
  }

  /** Decides a request; one no rule allows waits in the inbox for the operator, up to the hold timeout. */
  evaluate(input: EvaluateInput, sample?: L7Sample): Promise<Verdict> {
    const running = this.evaluateAndRecord(input, sample);
    this.#inFlight.add(running);
    const done = () => void this.#inFlight.delete(running);
    running.then(done, done);
    return running;
  }

  private async evaluateAndRecord(input: EvaluateInput, sample?: L7Sample): Promise<Verdict> {
    const verdict = await this.decideOrHold(input, sample);
    this.options.audit?.network({
      action: verdict.allowed ? 'allowed' : 'denied',
      host: input.host,
      port: input.port,
      binary: input.binary,
      pid: input.pid,
      method: input.method,
      path: input.path,
      policy: verdict.decision.policy,
      stage: verdict.decision.stage,
      reason: verdict.decision.reason,
      audit: verdict.decision.audit,
      requestId: verdict.request?.id,
    });
    return verdict;
  }

  private async decideOrHold(input: EvaluateInput, sample?: L7Sample): Promise<Verdict> {
    const compiled = this.#compiled;
    const decision = decide(compiled, input);
    if (decision.outcome === 'allow')
      return { allowed: true, decision, withAddresses: (ips) => decide(compiled, { ...input, resolved_ips: ips }) };
    // An L7 operation no rule lists (an MCP tool, a JSON-RPC method, a GraphQL operation) on an allowed host
    // goes to the inbox as an entry of its own; every other explicit denial (deny rules, unreadable bodies,
    // the address guard) is logged, not escalated.
    const operation = pendingOperation(decision);
    if (decision.stage !== 'no_match' && !operation) {
      this.log('info', 'policy', `denied ${input.host}:${input.port} (${input.binary}) at ${decision.stage}: ${decision.reason}`, 'denial');
      return { allowed: false, decision };
    }
    if (this.#stopping) return { allowed: false, decision: { ...decision, reason: 'the core is shutting down' } };
    if (input.host.length > MAX_HOST) {
      return {
        allowed: false,
        decision: { ...decision, reason: `host name longer than ${MAX_HOST} characters is not a DNS name; refused without asking` },
      };
    }
    const recorded = this.#inbox.record({
      host: input.host,
      port: input.port,
      binary: input.binary,
      reason: decision.reason,
      sample,
      pid: input.pid,
      ...(operation ? { operation, operationPath: input.path } : {}),
    });
    if ('full' in recorded) {
      if (recorded.first) this.inboxFull();
      return {
        allowed: false,
        decision: {
          ...decision,
          reason: `the inbox is full (${this.#maxPending} requests wait for a decision, --max-pending): refused without asking`,
        },
      };
    }
    const { entry, created } = recorded;
    if (created) {
      const what = sample ? ` ${sample.method} ${sample.path}` : '';
      this.log('info', 'inbox', `new request ${entry.id} ${entry.host}:${entry.port}${what} (${entry.binary})`, 'request');
    }
    const announce = () => this.emit(created ? 'request.pending' : 'request.updated', entry);
    if (this.#rejections.has(entryKey(entry))) {
      announce();
      return { allowed: false, request: entry, decision: { ...decision, reason: rejectedReason(entry) } };
    }
    if (this.#holdTimeoutMs <= 0) {
      announce();
      return { allowed: false, request: entry, decision };
    }
    const started = Date.now();
    const heldBefore = this.#inbox.heldCount;
    const held = this.#inbox.hold(entry, this.#holdTimeoutMs, input.signal);
    // One event for the attempt, with the connection it holds (if it could be held).
    announce();
    if (this.#inbox.heldCount > heldBefore) {
      this.options.audit?.network({
        action: 'held',
        host: input.host,
        port: input.port,
        binary: input.binary,
        pid: input.pid,
        method: input.method,
        path: input.path,
        policy: null,
        stage: 'no_match',
        reason: decision.reason,
        requestId: entry.id,
      });
    }
    const outcome = await held;
    const heldMs = Date.now() - started;
    if (outcome === 'approved') {
      // Decide again against the approval itself: the address guard still applies to what was approved.
      const approval: SessionApproval = keepHostL7(
        {
          requestId: entry.id,
          host: input.host,
          port: input.port,
          binary: input.binary,
          approvedAt: Date.now(),
          by: entry.decidedBy ?? 'operator',
          ...operationOf(entry),
        },
        this.#composed.policy,
      );
      const approved = compilePolicy(
        { version: 1, network_policies: { [approvalKey(entry.id)]: approvalRule(approval) } },
        { allowLoopback: this.options.allowLoopback },
      );
      const again = decide(approved, input);
      return {
        allowed: again.outcome === 'allow',
        decision: again,
        request: entry,
        heldMs,
        withAddresses: (ips) => decide(approved, { ...input, resolved_ips: ips }),
      };
    }
    return { allowed: false, decision: { ...decision, reason: this.holdReason(outcome, entry) }, request: entry, heldMs };
  }

  private holdReason(outcome: Exclude<HoldOutcome, 'approved'>, entry: PendingRequest): string {
    switch (outcome) {
      case 'rejected':
        return rejectedReason(entry);
      case 'shutdown':
        return 'the core is shutting down';
      case 'gone':
        return 'the client went away while held';
      case 'overflow':
        return `too many connections are held (--max-held ${this.#maxHeld}); refused without waiting; the request stays in the inbox`;
      case 'timeout':
        return `no decision within ${Math.round(this.#holdTimeoutMs / 1000)} s; the request stays in the inbox`;
    }
  }

  listRequests(): PendingRequest[] {
    return this.#inbox.list();
  }

  getRequest(id: string): PendingRequest | undefined {
    return this.#inbox.get(id);
  }

  /** One page of the inbox in id order, after the entry `after` (from the start without it). */
  pageRequests(after?: string, limit?: number): { requests: PendingRequest[]; next?: string; total: number } {
    return { ...this.#inbox.page(after, limit), total: this.#inbox.size };
  }

  /** Approves one entry (session, once, or for a while). Held connections proceed at once. */
  approve(id: string, lifetime: ApprovalLifetime = { kind: 'session' }, by = 'operator', options: ApproveOptions = {}): PendingRequest {
    const entry = this.requireRequest(id);
    if (entry.binary === UNKNOWN_BINARY && !options.allowUnknownBinary) throw new CoreError(unknownRefusal(entry), 'refused');
    return this.approveEntries([entry], lifetime, by, false)[0];
  }

  /**
   * Approves several entries as one change: one revision, one audit write, linear in their number.
   * Entries whose binary is `unknown` are skipped (and said so) unless allowUnknownBinary.
   */
  approveMany(
    ids: readonly string[],
    lifetime: ApprovalLifetime = { kind: 'session' },
    by = 'operator',
    options: ApproveOptions = {},
  ): ApproveManyResult {
    const chosen = new Map<string, PendingRequest>();
    const skipped: ApproveManyResult['skipped'] = [];
    for (const id of ids) {
      const entry = this.requireRequest(id);
      if (entry.binary === UNKNOWN_BINARY && !options.allowUnknownBinary) skipped.push({ request: entry, reason: unknownRefusal(entry) });
      else chosen.set(entry.id, entry);
    }
    const approved = chosen.size > 0 ? this.approveEntries([...chosen.values()], lifetime, by, true) : [];
    if (skipped.length > 0) {
      const ids = skipped.map((s) => s.request.id).join(', ');
      this.log(
        'warn',
        'decision',
        `${by} approved ${approved.length}; skipped ${ids}: binary unknown (approving would let any unidentified program through)`,
        'decision',
      );
    }
    return { approved, skipped };
  }

  /** Approves every pending entry as one change (see approveMany). */
  approveAll(lifetime: ApprovalLifetime = { kind: 'session' }, by = 'operator', options: ApproveOptions = {}): ApproveManyResult {
    const pending = this.#inbox
      .list()
      .filter((r) => r.status === 'pending')
      .map((r) => r.id);
    return this.approveMany(pending, lifetime, by, options);
  }

  private approveEntries(entries: PendingRequest[], lifetime: ApprovalLifetime, by: string, bulk: boolean): PendingRequest[] {
    const now = Date.now();
    const expiresAt = lifetime.kind === 'minutes' ? now + lifetime.minutes * 60_000 : undefined;
    const described = formatLifetime(lifetime);
    const detail =
      entries.length === 1 ? `approve ${targetOf(entries[0])} for ${described}` : `approve ${entries.length} requests for ${described}`;
    let planned: { approvals: Map<string, SessionApproval>; policy: PlannedPolicy } | undefined;
    if (lifetime.kind !== 'once') {
      const approvals = new Map(this.#approvals);
      for (const entry of entries) {
        // An approval on a host the policy restricts at L7 keeps those rules for this binary.
        const approval: SessionApproval = keepHostL7(
          { requestId: entry.id, host: entry.host, port: entry.port, binary: entry.binary, approvedAt: now, by, ...operationOf(entry) },
          this.#composed.policy,
        );
        if (expiresAt !== undefined) approval.expiresAt = expiresAt;
        approvals.set(entry.id, approval);
      }
      planned = { approvals, policy: this.plan(approvals, 'approval', detail) };
    }
    const revision = planned?.policy.revision.number ?? this.revision.number;
    this.recordChange(
      entries.map((entry) => ({
        change: 'approve',
        actor: by,
        target: targetOf(entry),
        detail: bulk ? `${described} (approve-all)` : described,
        revision,
      })),
      { widens: true },
    );
    if (planned) {
      this.#approvals = planned.approvals;
      this.install(planned.policy);
    }
    for (const entry of entries) {
      this.#rejections.delete(entryKey(entry));
      this.clearExpiry(entry.id);
      if (expiresAt !== undefined) this.scheduleExpiry(entry.id, expiresAt - now);
      this.#inbox.decide(entry, 'approved', by, described);
      entry.expiresAt = expiresAt;
      this.emit('request.decided', entry);
    }
    this.log(
      'info',
      'decision',
      entries.length === 1
        ? `${by} approved ${entries[0].id} ${entries[0].host}:${entries[0].port} (${entries[0].binary}) for ${described}`
        : `${by} approved ${entries.length} requests for ${described}`,
      'decision',
    );
    this.afterDecisions();
    return entries;
  }

  reject(id: string, reason?: string, by = 'operator'): PendingRequest {
    const entry = this.requireRequest(id);
    const approvals = new Map(this.#approvals);
    const planned = approvals.delete(entry.id) ? this.plan(approvals, 'undo', `reject ${entry.id}`) : undefined;
    this.recordChange(
      [
        {
          change: 'reject',
          actor: by,
          target: targetOf(entry),
          detail: reason,
          revision: planned?.revision.number ?? this.revision.number,
        },
      ],
      { widens: false },
    );
    this.#rejections.add(entryKey(entry));
    if (planned) {
      this.#approvals = approvals;
      this.install(planned);
    }
    this.clearExpiry(entry.id);
    this.#inbox.decide(entry, 'rejected', by, reason);
    entry.expiresAt = undefined;
    this.log('info', 'decision', `${by} rejected ${entry.id} ${entry.host}:${entry.port}${reason ? `: ${reason}` : ''}`, 'decision');
    this.emit('request.decided', entry);
    this.afterDecisions();
    return entry;
  }

  /** Revokes a session approval (or lifts a rejection); the entry asks again on its next attempt. */
  undo(id: string, by = 'operator'): PendingRequest {
    const entry = this.requireRequest(id);
    const approvals = new Map(this.#approvals);
    const planned = approvals.delete(entry.id) ? this.plan(approvals, 'undo', `undo ${entry.id}`) : undefined;
    this.recordChange(
      [{ change: 'undo', actor: by, target: targetOf(entry), revision: planned?.revision.number ?? this.revision.number }],
      { widens: false },
    );
    this.clearExpiry(entry.id);
    this.#rejections.delete(entryKey(entry));
    if (planned) {
      this.#approvals = approvals;
      this.install(planned);
    }
    this.#inbox.reopen(entry);
    this.log('info', 'decision', `${by} undid the decision on ${entry.id} ${entry.host}:${entry.port}`, 'decision');
    this.emit('request.updated', entry);
    return entry;
  }

  /**
   * Records operator changes in the audit log before they are applied (presets, merges and the core's own
   * decisions all come through here). When the record cannot be written, a change that widens access is
   * refused under auditRequired; otherwise it goes ahead, and health() says the log is not writable.
   */
  recordChange(events: readonly ConfigEvent[], options: { widens: boolean }): void {
    const result = this.options.audit?.recordNow(events);
    if (!result || result.ok) return;
    if (options.widens && this.options.auditRequired) {
      throw new CoreError(
        `refused: the audit log cannot be written (${describeError(result.error)}); with --audit-required nothing that widens access is applied until it can be`,
        'refused',
      );
    }
  }

  /** Recomputes the effective policy from its layers; records a revision when it changed. */
  refreshPolicy(cause: RevisionCause, detail: string): Revision {
    const planned = this.plan(this.#approvals, cause, detail);
    this.install(planned);
    return this.revision;
  }

  /**
   * After a policy change made elsewhere (a preset, a promote, a merge): pending requests the policy now
   * allows are approved by `by`, so their held connections proceed instead of waiting out the timeout.
   */
  releaseCovered(by: string, note: string): PendingRequest[] {
    const released = this.#inbox.list().filter((entry) => {
      if (entry.status !== 'pending') return false;
      const target = { host: entry.host, port: entry.port, binary: entry.binary };
      // An operation entry is released when the policy allows that operation (the body is made up from it).
      if (entry.operation) {
        return operationProbes(entry.operation, entry.operationPath).some(
          (probe) => decide(this.#compiled, { ...target, ...probe }).outcome === 'allow',
        );
      }
      const sample = entry.samples[0];
      return decide(this.#compiled, { ...target, method: sample?.method, path: sample?.path }).outcome === 'allow';
    });
    for (const entry of released) {
      this.#inbox.decide(entry, 'approved', by, note);
      this.emit('request.decided', entry);
    }
    if (released.length > 0) this.afterDecisions();
    return released;
  }

  setHoldTimeout(ms: number) {
    this.#holdTimeoutMs = ms;
  }

  /**
   * Stops: every held connection is denied with the reason, and this resolves once each evaluation under
   * way has answered its client (so a proxy closed afterwards has written those 403s). Idempotent.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const timer of this.#expiryTimers.values()) clearTimeout(timer);
      this.#expiryTimers.clear();
      this.#unwatchAudit();
      this.#inbox.releaseAll();
      await Promise.allSettled([...this.#inFlight]);
      // The proxy writes its answers in the reactions to those verdicts; let them run.
      await new Promise((resolve) => setImmediate(resolve));
    })();
    return this.#stopping;
  }

  private plan(approvals: Map<string, SessionApproval>, cause: RevisionCause, detail: string): PlannedPolicy {
    const layers = [...(this.options.presetLayers?.() ?? []), ...[...approvals.values()].map(approvalLayer)];
    const composed = composeLayers(this.#baseline, layers);
    return {
      composed,
      compiled: compilePolicy(composed.policy, { allowLoopback: this.options.allowLoopback }),
      revision: this.revisions.prepare(composed.policy, cause, detail),
    };
  }

  private install(planned: PlannedPolicy): void {
    this.#composed = planned.composed;
    this.#compiled = planned.compiled;
    this.notePolicyWarnings();
    const before = this.revisions.current()?.number;
    const revision = this.revisions.commit(planned.revision);
    if (revision.number !== before) {
      this.emit('policy.revision', revision);
      this.log('info', 'policy', `revision ${revision.number} (${revision.cause}: ${revision.detail})`, 'policy');
    }
  }

  /** Logs each policy warning that is new since the last look (at start, then on every reload). */
  private notePolicyWarnings(): void {
    const now = policyWarnings(this.#composed.policy);
    const before = new Set(this.policyWarnings);
    this.policyWarnings = now;
    for (const warning of now) if (!before.has(warning)) this.log('warn', 'policy', warning, 'policy');
  }

  private inboxFull(): void {
    const message = `the inbox is full: ${this.#maxPending} requests wait for a decision (--max-pending); requests for new destinations are refused at once until some are decided`;
    this.log('warn', 'inbox', message, 'notice');
    this.notice({ kind: 'inbox-full', time: Date.now(), limit: this.#maxPending, message });
  }

  /** After decisions: the inbox may have room again. */
  private afterDecisions(): void {
    const refused = this.#inbox.takeEndedBout();
    if (refused === undefined) return;
    const message = `the inbox has room again; ${refused} request${refused === 1 ? ' was' : 's were'} refused while it was full`;
    this.log('info', 'inbox', message, 'notice');
    this.notice({ kind: 'inbox-open', time: Date.now(), refused, message });
  }

  private auditChanged(state: AuditState): void {
    if (!state.writable) {
      const error = describeError(state.error);
      const message = `the audit log cannot be written (${error}): decisions are not being recorded${this.options.auditRequired ? '; approvals are refused until it can be (--audit-required)' : ''}`;
      this.log('error', 'audit', message, 'notice');
      this.notice({ kind: 'audit-failing', time: Date.now(), error, message });
    } else {
      const message = `the audit log is written again (${state.lost} record${state.lost === 1 ? '' : 's'} lost since start)`;
      this.log('warn', 'audit', message, 'notice');
      this.notice({ kind: 'audit-recovered', time: Date.now(), lost: state.lost, message });
    }
  }

  private notice(notice: CoreNotice): void {
    this.emit('notice', notice);
  }

  private requireRequest(id: string): PendingRequest {
    const entry = this.#inbox.get(id);
    if (!entry) throw new CoreError(`no request with id '${id}'`);
    return entry;
  }

  private scheduleExpiry(id: string, ms: number) {
    const timer = setTimeout(() => this.expireDue(), ms);
    timer.unref();
    this.#expiryTimers.set(id, timer);
  }

  /** Every approval whose time is up lapses, as one revision (approve-all gives many the same deadline). */
  private expireDue(): void {
    const now = Date.now();
    const due = [...this.#approvals.values()].filter((a) => a.expiresAt !== undefined && a.expiresAt <= now);
    if (due.length === 0) return;
    const approvals = new Map(this.#approvals);
    for (const approval of due) {
      approvals.delete(approval.requestId);
      this.clearExpiry(approval.requestId);
    }
    const detail = due.length === 1 ? `approval ${due[0].requestId} lapsed` : `${due.length} approvals lapsed`;
    this.#approvals = approvals;
    this.install(this.plan(approvals, 'expiry', detail));
    for (const approval of due) {
      const entry = this.#inbox.get(approval.requestId);
      if (!entry) continue;
      this.#inbox.reopen(entry, 'expired');
      this.emit('request.updated', entry);
    }
  }

  private clearExpiry(id: string) {
    const timer = this.#expiryTimers.get(id);
    if (timer) clearTimeout(timer);
    this.#expiryTimers.delete(id);
  }
}

/**
 * What the core refuses. `not-found`: no such request. `refused`: the request exists but the core will
 * not do that now (an unidentified binary without allowUnknownBinary, an audit log that cannot be
 * written under --audit-required): the operator can change that, a retry as it is cannot.
 */
export class CoreError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'refused' = 'not-found',
  ) {
    super(message);
  }
}

/** How the policy names a session approval's rule (followed by the request id). */
const APPROVAL_PREFIX = approvalKey('');

function targetOf(entry: PendingRequest): string {
  const op = entry.operation ? ` ${describeOperation(entry.operation)}` : '';
  return `${entry.id} ${entry.host}:${entry.port} ${entry.binary}${op}`;
}

/** The key rejections are kept under: the entry's own (one per operation on a body-decided host). */
function entryKey(entry: PendingRequest): string {
  return requestKey(entry.host, entry.port, entry.binary, entry.operation);
}

/** The operation a pendable L7 denial waits on (an unlisted tool, method or GraphQL operation). */
function pendingOperation(decision: Decision): L7Operation | undefined {
  const facts = decision.pendable ? decision.l7 : undefined;
  if (!facts || facts.kind === 'http') return undefined;
  if (facts.kind === 'mcp' && facts.frame !== undefined) return undefined;
  return facts;
}

/** What an approval of `entry` carries to allow exactly its operation, if it is an operation entry. */
function operationOf(entry: PendingRequest): Pick<SessionApproval, 'operation' | 'operationPath'> {
  if (!entry.operation) return {};
  return entry.operationPath !== undefined
    ? { operation: entry.operation, operationPath: entry.operationPath }
    : { operation: entry.operation };
}

function rejectedReason(entry: PendingRequest): string {
  return `rejected by the operator${entry.decisionNote ? `: ${entry.decisionNote}` : ''}`;
}

function unknownRefusal(entry: PendingRequest): string {
  return (
    `not approved: ${entry.id}'s binary is unknown, so approving it would let any program the core cannot identify ` +
    `reach ${entry.host}:${entry.port}; if that is what you mean, approve it with allowUnknownBinary (CLI: --allow-unknown-binary)`
  );
}

function describeError(error: Error | undefined): string {
  if (!error) return 'unknown error';
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
