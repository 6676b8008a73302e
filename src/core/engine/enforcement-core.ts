// The embedded enforcement core: the effective policy (baseline + presets + session approvals), the
// inbox of requests no rule allows, operator decisions, revisions and logs. Headless: the proxy asks it
// for verdicts, the console and CLI drive it through the same methods (locally or over the feed).
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
import { Inbox } from '../inbox/inbox.js';
import { requestKey, type L7Sample, type PendingRequest } from '../inbox/pending-request.js';
import { decide } from '../policy/decide.js';
import { policyWarnings } from '../policy/effective-warnings.js';
import { composeLayers, type PolicyLayer } from '../policy/layers.js';
import { compilePolicy, type CompiledPolicy } from '../policy/matcher.js';
import type { Decision, DecisionRequest, SandboxPolicy } from '../policy/types.js';
import { RevisionLog, type Revision, type RevisionCause } from '../revisions/revision-log.js';
import { LogBuffer, type LogLevel, type LogLine } from './log-buffer.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface CoreOptions {
  baseline: SandboxPolicy;
  /** Where every decision is recorded (OCSF JSON Lines); optional for embedded uses such as tests. */
  audit?: AuditLog;
  /** Preset layers in force (re-read on refreshPolicy). */
  presetLayers?: () => PolicyLayer[];
  holdTimeoutMs?: number;
  maxHeld?: number;
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
}

export interface CoreEvents {
  'request.pending': [PendingRequest];
  'request.updated': [PendingRequest];
  'request.decided': [PendingRequest];
  'policy.revision': [Revision];
  log: [LogLine];
}

export class EnforcementCore extends EventEmitter<CoreEvents> {
  readonly inbox: Inbox;
  readonly revisions = new RevisionLog();
  readonly logs = new LogBuffer();
  private readonly approvals = new Map<string, SessionApproval>();
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private readonly rejections = new Set<string>();
  private compiled: CompiledPolicy;
  private composed: ReturnType<typeof composeLayers>;
  private holdTimeoutMs: number;
  private baseline: SandboxPolicy;
  /** What the operator must know about the policy in force (see effective-warnings.ts); logged when it changes. */
  policyWarnings: string[] = [];

  constructor(private readonly options: CoreOptions) {
    super();
    this.baseline = options.baseline;
    this.holdTimeoutMs = options.holdTimeoutMs ?? 30_000;
    this.inbox = new Inbox(options.maxHeld ?? 256);
    this.inbox.on('pending', (r) => this.emit('request.pending', r));
    this.inbox.on('updated', (r) => this.emit('request.updated', r));
    this.composed = composeLayers(this.baseline, this.layers());
    this.compiled = compilePolicy(this.composed.policy, { allowLoopback: options.allowLoopback });
    this.revisions.record(this.composed.policy, 'baseline', 'start');
    this.notePolicyWarnings();
  }

  /** Logs each policy warning that is new since the last look (at start, then on every reload). */
  private notePolicyWarnings(): void {
    const now = policyWarnings(this.composed.policy);
    const before = new Set(this.policyWarnings);
    this.policyWarnings = now;
    for (const warning of now) if (!before.has(warning)) this.log('warn', 'policy', warning);
  }

  /** The effective policy and where each key came from. */
  get effective() {
    return this.composed;
  }

  get revision(): Revision {
    return this.revisions.current()!;
  }

  log(level: LogLevel, source: string, message: string): void {
    this.emit('log', this.logs.push(level, source, message));
  }

  /** Decides a request; one no rule allows waits in the inbox for the operator, up to the hold timeout. */
  async evaluate(input: EvaluateInput, sample?: L7Sample): Promise<Verdict> {
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

  /**
   * An allowed request whose upstream could not be reached or failed (refused, reset, DNS, timeout, a bad
   * certificate): logged and audited as failed, so it never reads as a denial or as a success.
   */
  upstreamFailed(input: EvaluateInput, failure: { cause: string; policy?: string | null; requestId?: string }): void {
    const what = input.method ? ` ${input.method} ${input.path ?? ''}` : '';
    this.log('warn', 'proxy', `upstream failed for ${input.host}:${input.port}${what} (${input.binary}): ${failure.cause}`);
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

  private async decideOrHold(input: EvaluateInput, sample?: L7Sample): Promise<Verdict> {
    const compiled = this.compiled;
    const decision = decide(compiled, input);
    if (decision.outcome === 'allow')
      return { allowed: true, decision, withAddresses: (ips) => decide(compiled, { ...input, resolved_ips: ips }) };
    if (decision.stage !== 'no_match') {
      // Explicit denials (L7 rules, address guard) are logged, not escalated.
      this.log('info', 'policy', `denied ${input.host}:${input.port} (${input.binary}): ${decision.reason}`);
      return { allowed: false, decision };
    }
    const entry = this.inbox.record(input.host, input.port, input.binary, decision.reason, sample, input.pid);
    if (this.rejections.has(requestKey(input.host, input.port, input.binary))) {
      return {
        allowed: false,
        request: entry,
        decision: { ...decision, reason: `rejected by the operator${entry.decisionNote ? `: ${entry.decisionNote}` : ''}` },
      };
    }
    const started = Date.now();
    if (this.holdTimeoutMs > 0) {
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
    const outcome = await this.inbox.hold(entry, this.holdTimeoutMs);
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
        },
        this.composed.policy,
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
    const reason =
      outcome === 'rejected'
        ? `rejected by the operator${entry.decisionNote ? `: ${entry.decisionNote}` : ''}`
        : outcome === 'shutdown'
          ? 'the core is shutting down'
          : this.holdTimeoutMs > 0
            ? `no decision within ${Math.round(this.holdTimeoutMs / 1000)} s; the request stays in the inbox`
            : decision.reason;
    return { allowed: false, decision: { ...decision, reason }, request: entry, heldMs };
  }

  listRequests(): PendingRequest[] {
    return this.inbox.list();
  }

  approve(id: string, lifetime: ApprovalLifetime = { kind: 'session' }, by = 'operator'): PendingRequest {
    const entry = this.requireRequest(id);
    if (lifetime.kind !== 'once') {
      // An approval on a host the policy restricts at L7 keeps those rules for this binary.
      const approval: SessionApproval = keepHostL7(
        { requestId: entry.id, host: entry.host, port: entry.port, binary: entry.binary, approvedAt: Date.now(), by },
        this.composed.policy,
      );
      if (lifetime.kind === 'minutes') {
        approval.expiresAt = Date.now() + lifetime.minutes * 60_000;
        entry.expiresAt = approval.expiresAt;
        this.scheduleExpiry(entry.id, lifetime.minutes * 60_000);
      }
      this.approvals.set(entry.id, approval);
      this.rejections.delete(requestKey(entry.host, entry.port, entry.binary));
      this.refreshPolicy('approval', `approve ${entry.id} ${entry.host}:${entry.port} for ${formatLifetime(lifetime)}`);
    }
    this.inbox.decide(entry, 'approved', by, formatLifetime(lifetime));
    this.options.audit?.config({
      change: 'approve',
      actor: by,
      target: `${entry.id} ${entry.host}:${entry.port} ${entry.binary}`,
      detail: formatLifetime(lifetime),
      revision: this.revision.number,
    });
    this.log(
      'info',
      'decision',
      `${by} approved ${entry.id} ${entry.host}:${entry.port} (${entry.binary}) for ${formatLifetime(lifetime)}`,
    );
    this.emit('request.decided', entry);
    return entry;
  }

  reject(id: string, reason?: string, by = 'operator'): PendingRequest {
    const entry = this.requireRequest(id);
    this.rejections.add(requestKey(entry.host, entry.port, entry.binary));
    if (this.approvals.delete(entry.id)) this.refreshPolicy('undo', `reject ${entry.id}`);
    this.inbox.decide(entry, 'rejected', by, reason);
    this.options.audit?.config({
      change: 'reject',
      actor: by,
      target: `${entry.id} ${entry.host}:${entry.port} ${entry.binary}`,
      detail: reason,
      revision: this.revision.number,
    });
    this.log('info', 'decision', `${by} rejected ${entry.id} ${entry.host}:${entry.port}${reason ? `: ${reason}` : ''}`);
    this.emit('request.decided', entry);
    return entry;
  }

  /** Approves every pending entry; returns those approved. */
  approveAll(lifetime: ApprovalLifetime = { kind: 'session' }, by = 'operator'): PendingRequest[] {
    return this.inbox
      .list()
      .filter((r) => r.status === 'pending')
      .map((r) => this.approve(r.id, lifetime, by));
  }

  /** Revokes a session approval (or lifts a rejection); the entry asks again on its next attempt. */
  undo(id: string, by = 'operator'): PendingRequest {
    const entry = this.requireRequest(id);
    this.clearExpiry(entry.id);
    const hadApproval = this.approvals.delete(entry.id);
    this.rejections.delete(requestKey(entry.host, entry.port, entry.binary));
    if (hadApproval) this.refreshPolicy('undo', `undo ${entry.id}`);
    this.inbox.reopen(entry);
    this.options.audit?.config({
      change: 'undo',
      actor: by,
      target: `${entry.id} ${entry.host}:${entry.port} ${entry.binary}`,
      revision: this.revision.number,
    });
    this.log('info', 'decision', `${by} undid the decision on ${entry.id} ${entry.host}:${entry.port}`);
    return entry;
  }

  /** Recomputes the effective policy from its layers; records a revision when it changed. */
  refreshPolicy(cause: RevisionCause, detail: string): Revision {
    this.composed = composeLayers(this.baseline, this.layers());
    this.compiled = compilePolicy(this.composed.policy, { allowLoopback: this.options.allowLoopback });
    this.notePolicyWarnings();
    const before = this.revisions.current()?.number;
    const revision = this.revisions.record(this.composed.policy, cause, detail);
    if (revision.number !== before) {
      this.emit('policy.revision', revision);
      this.log('info', 'policy', `revision ${revision.number} (${cause}: ${detail})`);
    }
    return revision;
  }

  /**
   * After a policy change made elsewhere (a merge over the API): pending requests the policy now allows
   * are marked approved, so their held connections proceed instead of waiting out the timeout.
   */
  releaseCovered(by: string, note: string): PendingRequest[] {
    const released = this.inbox.list().filter((entry) => {
      if (entry.status !== 'pending') return false;
      const sample = entry.samples[0];
      return (
        decide(this.compiled, { host: entry.host, port: entry.port, binary: entry.binary, method: sample?.method, path: sample?.path })
          .outcome === 'allow'
      );
    });
    for (const entry of released) this.inbox.decide(entry, 'approved', by, note);
    return released;
  }

  setHoldTimeout(ms: number) {
    this.holdTimeoutMs = ms;
  }

  /** Denies every held connection and stops timers (clean shutdown). */
  shutdown(): void {
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    this.inbox.releaseAll();
  }

  private layers(): PolicyLayer[] {
    return [...(this.options.presetLayers?.() ?? []), ...[...(this.approvals?.values() ?? [])].map(approvalLayer)];
  }

  private requireRequest(id: string): PendingRequest {
    const entry = this.inbox.get(id);
    if (!entry) throw new CoreError(`no request with id '${id}'`);
    return entry;
  }

  private scheduleExpiry(id: string, ms: number) {
    this.clearExpiry(id);
    const timer = setTimeout(() => {
      this.expiryTimers.delete(id);
      if (!this.approvals.delete(id)) return;
      this.refreshPolicy('expiry', `approval ${id} lapsed`);
      const entry = this.inbox.get(id);
      if (entry) this.inbox.reopen(entry, 'expired');
    }, ms);
    timer.unref();
    this.expiryTimers.set(id, timer);
  }

  private clearExpiry(id: string) {
    const timer = this.expiryTimers.get(id);
    if (timer) clearTimeout(timer);
    this.expiryTimers.delete(id);
  }
}

export class CoreError extends Error {}
