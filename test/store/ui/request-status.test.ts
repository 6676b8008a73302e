// A row's status at a glance, derived from the entry alone: no Ink, no clock but the one passed in.
import { describe, expect, it } from 'vitest';
import { failureSummary, rowStatus, rowStatusText } from '../../../src/store/ui/request-status.js';
import { request } from './fixtures.js';

const now = 1_000_000;

describe('row status', () => {
  it('held with a countdown while a connection waits; pending once none does', () => {
    const held = request('r1', 0, { held: 2, holdDeadline: now + 19_400 });
    expect(rowStatus(held)).toBe('held');
    expect(rowStatusText(held, now)).toBe('held 20s');
    expect(rowStatus(request('r1', 0, { held: 0 }))).toBe('pending');
  });

  it('timed out: pending, nothing held, and a hold gave up; a new hold wins over the old timeout', () => {
    const timedOut = request('r1', 0, { held: 0, timedOutAt: now - 5 });
    expect(rowStatus(timedOut)).toBe('timedout');
    expect(rowStatusText(timedOut, now)).toBe('timed out');
    expect(rowStatus({ ...timedOut, held: 1 })).toBe('held');
    // Approved after a timeout: approved.
    expect(rowStatus({ ...timedOut, status: 'approved', decidedAt: now })).toBe('approved');
  });

  it('approved with time left, rejected, expired', () => {
    expect(rowStatusText(request('r1', 0, { held: 0, status: 'approved', expiresAt: now + 9 * 60_000 }), now)).toBe('approved 9m');
    expect(rowStatusText(request('r1', 0, { held: 0, status: 'approved' }), now)).toBe('approved');
    expect(rowStatus(request('r1', 0, { held: 0, status: 'rejected' }))).toBe('rejected');
    expect(rowStatus(request('r1', 0, { held: 0, status: 'expired' }))).toBe('expired');
  });

  it('error: a TLS or upstream failure shows (with its cause and fix) until the next decision', () => {
    const tls = request('r1', 0, {
      held: 0,
      status: 'approved',
      decidedAt: now - 10,
      failure: { kind: 'tls', time: now, cause: 'unknown ca', fix: 'trust ca.crt' },
    });
    expect(rowStatus(tls)).toBe('error');
    expect(rowStatusText(tls, now)).toBe('error TLS');
    expect(failureSummary(tls)).toEqual({ what: 'TLS handshake with the agent failed: unknown ca', fix: 'trust ca.crt' });
    const upstream = { ...tls, failure: { kind: 'upstream' as const, time: now, cause: 'ECONNREFUSED', status: 502 } };
    expect(rowStatusText(upstream, now)).toBe('error 502');
    expect(failureSummary(upstream)?.what).toBe('upstream failed (the agent got 502): ECONNREFUSED');
    // Decided again after the failure: the decision shows, the failure no longer.
    const redecided = { ...upstream, decidedAt: now + 1 };
    expect(rowStatus(redecided)).toBe('approved');
    expect(failureSummary(redecided)).toBeUndefined();
  });
});
