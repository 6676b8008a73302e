// The inbox's gateway features in the UI reducer, action by action: approve-all asks the gateway first
// and lists its answer, re-approve, narrowing a proposal with typed validation, clearing drafts with a
// confirm, and decisions refused at the key while a gateway-global policy is in force. No Ink, no sleeps.
import { describe, expect, it } from 'vitest';
import type { GatewayCapabilities } from '../../../src/gateway/gateway.js';
import type { Effect, GatewayCall } from '../../../src/store/ui/effects.js';
import { selectFooter } from '../../../src/store/ui/selectors.js';
import { ctrl, Driver, ENTER, ESC, GATEWAY_CAPABILITIES, request, TAB, world } from './fixtures.js';

const GRPC: GatewayCapabilities = { ...GATEWAY_CAPABILITIES, editChunk: true, clearDrafts: true };
const rule = (host: string, port: number) => ({
  endpoints: [{ host, port, ports: [port, 8443], rules: [{ allow: { method: 'GET', path: '/v1/**' } }] }],
  binaries: [{ path: '/usr/bin/curl' }],
});
const proposal = (host: string, port = 443) => ({
  ruleName: `allow_${host}`,
  rule: rule(host, port),
  securityNotes: '',
  validationResult: '',
  applicationError: '',
});
const gw = (over: Parameters<typeof world>[1] = {}) =>
  world(
    [
      request('agent/c1', 1, { host: 'a.test', sandbox: 'agent', proposal: proposal('a.test') }),
      request('agent/c2', 2, { host: 'b.test', sandbox: 'agent', proposal: proposal('b.test') }),
      request('agent/c3', 0, { host: 'c.test', sandbox: 'agent', status: 'rejected', proposal: proposal('c.test') }),
    ],
    {
      capabilities: GRPC,
      sandboxes: [{ name: 'agent', phase: 'Ready', policyRevision: 4, pending: 2, createdAt: 0 }],
      ...over,
    },
  );
/** The one call the last keys sent. */
function callOf(effect: Effect | undefined): GatewayCall {
  if (effect?.type !== 'call') throw new Error(`expected a call, got ${JSON.stringify(effect)}`);
  return effect.call;
}
const underGlobal = () =>
  gw({ sandboxes: [{ name: 'agent', phase: 'Ready', policyRevision: 4, pending: 2, createdAt: 0, globalPolicy: 9 }] });

describe('approve-all', () => {
  it('lists what the gateway approves and what it skips (and why); y approves exactly the listed ones', () => {
    const d = new Driver(undefined, gw());
    d.press('A');
    const [effect] = d.take();
    expect(effect).toEqual({ type: 'call', call: { op: 'previewApproveAll', ids: ['agent/c2', 'agent/c1'], lifetime: 'session' } });
    const r = d.world.requests;
    const call = callOf(effect);
    d.dispatch({
      type: 'call.done',
      call,
      result: { approve: [r['agent/c1']], skip: [{ request: r['agent/c2'], why: 'security-flagged' }] },
    });
    expect(d.state.confirm).toEqual({
      kind: 'approveAll',
      ids: ['agent/c1'],
      lifetime: 'session',
      approve: [{ id: 'agent/c1', subject: 'a.test:443', sandbox: 'agent' }],
      skip: [{ id: 'agent/c2', subject: 'b.test:443', sandbox: 'agent', why: 'security-flagged' }],
    });
    d.press('y');
    expect(d.take()).toEqual([{ type: 'call', call: { op: 'approveAll', ids: ['agent/c1'], lifetime: 'session', revision: true } }]);
    expect(d.state.overlay).toBe('none');
  });

  it('when the gateway would approve nothing, it says what it skipped instead of asking', () => {
    const d = new Driver(undefined, gw());
    d.press('A');
    const call = callOf(d.take()[0]);
    d.dispatch({ type: 'call.done', call, result: { approve: [], skip: [{ request: d.world.requests['agent/c1'], why: 'stale' }] } });
    expect(d.state.overlay).toBe('none');
    expect(d.state.status).toMatchObject({ kind: 'error', text: expect.stringContaining('a.test:443 (stale)') });
  });

  it('an answer that arrives after the operator opened something else does not open the dialog over it', () => {
    const d = new Driver(undefined, gw());
    d.press('A');
    const call = callOf(d.take()[0]);
    d.press('?');
    d.dispatch({ type: 'call.done', call, result: { approve: [d.world.requests['agent/c1']], skip: [] } });
    expect(d.state.overlay).toBe('help');
  });
});

describe('a gateway-global policy in force', () => {
  it('refuses a, A, v, r, R and e at the key in upstream words; nothing leaves', () => {
    const d = new Driver(undefined, underGlobal());
    for (const key of ['a', 'A', 'v', 'r', 'R', 'e']) {
      d.press(key);
      expect(d.state.status?.code, key).toBe('failed_precondition');
      expect(d.state.status?.text, key).toMatch(/^Cannot (approve|modify) rules while a global policy is active \(global policy v9/);
    }
    expect(d.take()).toEqual([]);
    expect(d.state.overlay).toBe('none');
    expect(d.state.prompt).toBeUndefined();
    // Clearing proposals changes no policy: upstream's gateway allows it under a global policy, and so do we.
    d.press('C');
    expect(d.state.confirm).toEqual({ kind: 'clearDrafts', sandbox: 'agent', count: 2 });
  });
});

describe('re-approve', () => {
  it('v approves a rejected request; on a pending one it explains', () => {
    const d = new Driver(undefined, gw());
    d.press('v');
    expect(d.state.status?.text).toMatch(/agent\/c2 is pending; only a rejected request is re-approved/);
    expect(d.take()).toEqual([]);
    d.press('/', 'c.test', ENTER, 'v');
    expect(d.take()).toEqual([
      { type: 'call', call: { op: 'reapprove', id: 'agent/c3', subject: 'c.test:443', lifetime: 'session', revision: true } },
    ]);
  });

  it('is not offered where the gateway cannot do it', () => {
    const d = new Driver(undefined, gw({ capabilities: { ...GRPC, reapprove: false } }));
    d.press('/', 'c.test', ENTER, 'v');
    expect(d.take()).toEqual([]);
    expect(d.state.status?.text).toBe('this gateway cannot approve a rejected request');
  });
});

describe('the edit form', () => {
  it('opens filled from the proposal, owns its keys, validates as typed, and sends only what changed', () => {
    const d = new Driver(undefined, gw());
    d.press('e');
    expect(d.state.overlay).toBe('edit');
    expect(d.state.edit?.values).toEqual({ ports: '443, 8443', binaries: '/usr/bin/curl', paths: '/v1/**', allowedIps: '' });
    expect(selectFooter(d.state, GRPC).hints.map((h) => h.label)).toEqual(expect.arrayContaining(['ok', 'close', 'next field']));
    d.press(ctrl('u'), 'a', 'A', 'q'); // typed into the field, not run as commands
    expect(d.take()).toEqual([]);
    expect(d.state.edit?.values.ports).toBe('aAq');
    d.press(ENTER);
    expect(d.state.status).toMatchObject({ kind: 'error', code: 'invalid_argument', text: "ports: 'aAq' is not a port (1-65535)" });
    d.press(ctrl('u'), '80');
    d.press(ENTER);
    expect(d.state.status?.text).toMatch(/port 80 is not in the proposal/);
    d.press(ctrl('u'), '8443', TAB, ctrl('u'), '/usr/bin/cu?l', ENTER);
    expect(d.state.status?.text).toMatch(/binaries: '\/usr\/bin\/cu\?l' is not a literal absolute path/);
    d.press(ctrl('u'), '/usr/bin/curl', TAB, ctrl('u'), 'v1/models', ENTER);
    expect(d.state.status?.text).toMatch(/paths: 'v1\/models' does not start with \//);
    d.press(ctrl('u'), '/admin', ENTER);
    expect(d.state.status?.text).toMatch(/outside the proposed paths/);
    d.press(ctrl('u'), '/v1/models', TAB, '127.0.0.1', ENTER);
    expect(d.state.status?.text).toMatch(/always-blocked/);
    expect(d.take()).toEqual([]);
    d.press(ctrl('u'), '203.0.113.0/24', ENTER);
    expect(d.take()).toEqual([
      {
        type: 'call',
        call: {
          op: 'editApprove',
          id: 'agent/c2',
          subject: 'b.test:443',
          change: { ports: [8443], paths: ['/v1/models'], allowedIps: ['203.0.113.0/24'] },
          lifetime: 'session',
          revision: true,
        },
      },
    ]);
    expect(d.state.overlay).toBe('none');
  });

  it('Enter with nothing changed says so; Esc closes without sending', () => {
    const d = new Driver(undefined, gw());
    d.press('e', ENTER);
    expect(d.state.status?.text).toMatch(/^nothing narrowed yet/);
    d.press(ESC);
    expect(d.state.overlay).toBe('none');
    expect(d.take()).toEqual([]);
  });

  it('refuses requests with nothing to narrow, and closes when its request is decided elsewhere', () => {
    const d = new Driver(undefined, gw());
    d.press('/', 'c.test', ENTER, 'e');
    expect(d.state.status?.text).toBe('agent/c3 is rejected; only pending proposals can be edited');
    d.press(ESC, 'e');
    expect(d.state.overlay).toBe('edit');
    const r = d.world.requests;
    d.change(world([{ ...r['agent/c2'], status: 'approved' }, r['agent/c1'], r['agent/c3']], { capabilities: GRPC }));
    expect(d.state.overlay).toBe('none');
    expect(d.state.status).toMatchObject({ kind: 'error', text: 'request agent/c2 is approved now; nothing was edited' });
  });

  it('a denial still awaiting its proposal cannot be narrowed yet', () => {
    const d = new Driver(undefined, world([request('agent/~d1', 1, { awaitingProposal: true })], { capabilities: GRPC }));
    d.press('e');
    expect(d.state.status?.text).toMatch(/has no proposal yet/);
  });
});

describe('clear drafts', () => {
  it('C asks with the count of pending proposals of the sandbox; y clears, n does not', () => {
    const d = new Driver(undefined, gw());
    d.press('C');
    expect(d.state.confirm).toEqual({ kind: 'clearDrafts', sandbox: 'agent', count: 2 });
    d.press('n');
    expect(d.take()).toEqual([]);
    d.press('C', 'y');
    expect(d.take()).toEqual([{ type: 'call', call: { op: 'clearDrafts', sandbox: 'agent' } }]);
  });

  it('is not offered on a core (its requests are live connections)', () => {
    const d = new Driver(undefined, world([request('r1', 1)]));
    d.press('C');
    expect(d.state.overlay).toBe('none');
    expect(d.state.status?.text).toMatch(/live connections/);
  });
});
