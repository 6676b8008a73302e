// The one projection of a core's events: every request change arrives with the whole request as it was
// then, revisions and logs arrive in order, and unsubscribing leaves no listener behind.
import { describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { type CoreChange, snapshotCore, watchCore } from '../../src/gateway/core-projection.js';

const core = () => new EnforcementCore({ baseline: { version: 1, network_policies: {} }, holdTimeoutMs: 0 });
const listeners = (c: EnforcementCore) => c.eventNames().reduce((n, e) => n + c.listenerCount(e), 0);

describe('core projection', () => {
  it('projects a request from pending to decided, a revision and the log line, in order', async () => {
    const c = core();
    const changes: CoreChange[] = [];
    const stop = watchCore(c, (change) => changes.push(change));
    await c.evaluate({ host: 'pypi.org', port: 443, binary: '/usr/bin/pip' });
    c.approve('r1', { kind: 'session' }, 'test');
    stop();
    const requests = changes.flatMap((x) => (x.type === 'request' ? [`${x.change}:${x.request.status}`] : []));
    expect(requests[0]).toBe('new:pending');
    expect(requests).toContain('decided:approved');
    expect(requests.at(-1)).toMatch(/:approved$/);
    expect(changes.some((x) => x.type === 'revision' && x.revision.cause === 'approval')).toBe(true);
    expect(changes.some((x) => x.type === 'log' && x.line.message.includes('approved r1'))).toBe(true);
  });

  it('hands out copies: a later change never rewrites what an earlier event said', async () => {
    const c = core();
    const seen: CoreChange[] = [];
    const stop = watchCore(c, (change) => seen.push(change));
    await c.evaluate({ host: 'a.example', port: 443, binary: '/bin/x' });
    const first = seen.find((x) => x.type === 'request');
    c.reject('r1', 'no', 'test');
    stop();
    expect(first?.type === 'request' && first.request.status).toBe('pending');
  });

  it('unsubscribing removes every listener it added (each adapter can stop cleanly)', () => {
    const c = core();
    const before = listeners(c);
    const stop = watchCore(c, () => {});
    expect(listeners(c)).toBeGreaterThan(before);
    stop();
    stop(); // twice is harmless
    expect(listeners(c)).toBe(before);
  });

  it('a snapshot is the state a new client starts from, with the log tail it asks for', async () => {
    const c = core();
    for (let i = 0; i < 10; i++) c.log('info', 't', `line ${i}`);
    await c.evaluate({ host: 'b.example', port: 443, binary: '/bin/x' });
    const snap = snapshotCore(c, { logs: 3 });
    expect(snap.requests.map((r) => r.host)).toEqual(['b.example']);
    expect(snap.revision.number).toBe(1);
    expect(snap.logs).toHaveLength(3);
  });

  it('every log line reaches clients with a kind: new request, hold timeout, decision, and the source-implied rest', async () => {
    const c = new EnforcementCore({ baseline: { version: 1, network_policies: {} }, holdTimeoutMs: 30 });
    const changes: CoreChange[] = [];
    const stop = watchCore(c, (change) => changes.push(change));
    c.log('info', 'presets', 'applied preset pypi');
    await c.evaluate({ host: 'slow.example', port: 443, binary: '/bin/x' }); // held, then times out
    c.reject('r1', 'no', 'test');
    stop();
    const logs = changes.flatMap((x) => (x.type === 'log' ? [x.line] : []));
    expect(logs.every((l) => l.kind !== undefined)).toBe(true);
    expect(logs.map((l) => l.kind)).toEqual(['policy', 'request', 'timeout', 'decision']);
    // The timeout is on the entry too (the console shows "timed out" until something else happens).
    const timedOut = changes.find((x) => x.type === 'request' && x.change === 'updated' && x.request.timedOutAt !== undefined);
    expect(timedOut).toBeDefined();
    expect(snapshotCore(c).logs.every((l) => l.kind !== undefined)).toBe(true);
  });
});
