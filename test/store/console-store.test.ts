// The console store's reducer: gateway events are its only writer, applied a batch at a time.
import { describe, expect, it } from 'vitest';
import { applyEvents as reduce, createConsoleStore } from '../../src/store/console-store.js';
import type { GatewayEvent, InboxRequest, SandboxInfo } from '../../src/gateway/gateway.js';

const req = (id: string, firstSeen: number, over: Partial<InboxRequest> = {}): InboxRequest => ({
  id,
  host: `${id}.example`,
  port: 443,
  binary: '/usr/bin/curl',
  firstSeen,
  lastSeen: firstSeen,
  hits: 1,
  samples: [],
  status: 'pending',
  held: 0,
  reason: 'no rule',
  sandbox: id.split('/')[0],
  ...over,
});
const box = (name: string, policyRevision = 1): SandboxInfo => ({ name, phase: 'Ready', policyRevision, pending: 0, createdAt: 0 });
const revision = (number: number) => ({ number, sha256: '', time: 0, cause: 'gateway', detail: '' });

function storeWith(events: GatewayEvent[]) {
  const store = createConsoleStore({ name: 'gw', mode: 'remote', endpoint: 'http://x', version: '1' });
  store.getState().apply(events);
  return store.getState();
}

describe('console store', () => {
  it('a snapshot replaces everything; request events upsert, newest first', () => {
    const s = storeWith([
      { type: 'snapshot', requests: [req('a/1', 1), req('a/2', 2)], revision: revision(1), logs: [], sandboxes: [box('a')] },
      { type: 'request', request: req('a/3', 3) },
      { type: 'request', request: req('a/1', 1, { hits: 5 }) },
    ]);
    expect(s.order).toEqual(['a/3', 'a/2', 'a/1']);
    expect(s.requests['a/1'].hits).toBe(5);
    const again = reduce(s, [{ type: 'snapshot', requests: [req('a/9', 9)], revision: revision(2), logs: [], sandboxes: [box('a')] }]);
    expect(again.order).toEqual(['a/9']);
  });

  it('removed drops requests from the map and the order, and ignores unknown ids', () => {
    const s = storeWith([
      { type: 'snapshot', requests: [req('a/1', 1), req('b/1', 2)], revision: revision(1), logs: [], sandboxes: [box('a'), box('b')] },
      { type: 'removed', ids: ['b/1', 'nope/1'] },
    ]);
    expect(Object.keys(s.requests)).toEqual(['a/1']);
    expect(s.order).toEqual(['a/1']);
  });

  it('a revision for one sandbox updates only that sandbox; a sandboxes event replaces the list', () => {
    const s = storeWith([
      { type: 'snapshot', requests: [], revision: revision(1), logs: [], sandboxes: [box('a'), box('b')] },
      { type: 'revision', sandbox: 'b', revision: revision(7) },
    ]);
    expect(s.sandboxes.map((x) => x.policyRevision)).toEqual([1, 7]);
    const t = reduce(s, [{ type: 'sandboxes', sandboxes: [box('c', 3)] }]);
    expect(t.sandboxes?.map((x) => x.name)).toEqual(['c']);
  });

  it('a whole batch is one update', () => {
    const store = createConsoleStore({ name: 'gw', mode: 'remote', endpoint: 'http://x', version: '1' });
    let updates = 0;
    store.subscribe(() => updates++);
    store.getState().apply(Array.from({ length: 500 }, (_, i) => ({ type: 'request' as const, request: req(`a/${i}`, i) })));
    expect(updates).toBe(1);
    expect(store.getState().order).toHaveLength(500);
  });
});
