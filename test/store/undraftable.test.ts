// Denials that can never become a draft, as the store keeps them: one entry per sandbox, destination,
// process and kind, counted and moved to the top on a repeat, bounded, and started over by a resync.
import { describe, expect, it } from 'vitest';
import type { GatewayEvent, UndraftableDenial } from '../../src/gateway/gateway.js';
import { createConsoleStore, MAX_UNDRAFTABLE } from '../../src/store/console-store.js';

const denial = (host: string, over: Partial<UndraftableDenial> = {}): GatewayEvent => ({
  type: 'undraftable',
  denial: { sandbox: 'agent', host, port: 80, process: 'curl', kind: 'destination-guard', why: 'always blocked', at: 1, count: 1, ...over },
});

function apply(...batches: GatewayEvent[][]) {
  const store = createConsoleStore({ name: 'gw', mode: 'remote', endpoint: 'http://x', version: '1' });
  for (const b of batches) store.getState().apply(b);
  return store.getState();
}

describe('undraftable denials in the store', () => {
  it('a repeat counts up and moves to the top; another kind or process is its own entry', () => {
    const s = apply(
      [denial('169.254.169.254'), denial('db.corp.test', { kind: 'allowed-ips-drift', port: 5432 })],
      [denial('169.254.169.254', { at: 5 }), denial('169.254.169.254', { process: 'wget' })],
    );
    expect(s.undraftable.map((d) => [d.host, d.process, d.count, d.at])).toEqual([
      ['169.254.169.254', 'wget', 1, 1],
      ['169.254.169.254', 'curl', 2, 5],
      ['db.corp.test', 'curl', 1, 1],
    ]);
  });

  it('keeps at most MAX_UNDRAFTABLE distinct entries (the oldest go), and a snapshot starts over', () => {
    const many = Array.from({ length: MAX_UNDRAFTABLE + 5 }, (_, i) => denial(`10.0.0.${i}`));
    const s = apply(many);
    expect(s.undraftable).toHaveLength(MAX_UNDRAFTABLE);
    expect(s.undraftable[0].host).toBe(`10.0.0.${MAX_UNDRAFTABLE + 4}`);
    const revision = { number: 1, sha256: '', time: 0, cause: 'gateway', detail: '' };
    const after = apply(many, [{ type: 'snapshot', requests: [], revision, logs: [], sandboxes: [] }]);
    expect(after.undraftable).toEqual([]);
  });
});
