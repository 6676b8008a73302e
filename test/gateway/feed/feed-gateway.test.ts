// A running core reached over its feed is a Gateway like any other: a snapshot first, live events, and
// failures that keep their kind (not found, unauthenticated, unimplemented, unavailable).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandalone, type Standalone } from '../../../src/gateway/embedded/standalone.js';
import { FeedGateway } from '../../../src/gateway/feed/feed-gateway.js';
import type { GatewayEvent } from '../../../src/gateway/gateway.js';

let core: Standalone;

beforeAll(async () => {
  core = await startStandalone({
    stateDir: mkdtempSync(join(tmpdir(), 'ost-feedgw-')),
    proxyListen: '127.0.0.1:0',
    holdTimeoutSeconds: 0,
    identify: async () => ({ binary: '/usr/bin/curl' }),
  });
});
afterAll(async () => {
  await core?.stop();
});

async function connected(token = core.token) {
  const gateway = new FeedGateway({ url: core.feedUrl, token });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  await gateway.start();
  return { gateway, events };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('FeedGateway', () => {
  it('starts with the core’s snapshot and follows its events; decisions reach the core', async () => {
    await core.core.evaluate({ host: 'before.example', port: 443, binary: '/usr/bin/curl' });
    const { gateway, events } = await connected();
    const snapshot = events.find((e) => e.type === 'snapshot');
    expect(snapshot?.type === 'snapshot' && snapshot.requests.map((r) => r.host)).toContain('before.example');
    await core.core.evaluate({ host: 'after.example', port: 443, binary: '/usr/bin/curl' });
    await until(() => events.some((e) => e.type === 'request' && e.request.host === 'after.example'));
    const id = core.core.listRequests().find((r) => r.host === 'after.example')!.id;
    await gateway.approve(id, '10m');
    expect(core.core.listRequests().find((r) => r.id === id)?.status).toBe('approved');
    const decided = events.filter((e) => e.type === 'request' && e.request.id === id).at(-1);
    expect(decided?.type === 'request' && decided.request.status).toBe('approved');
    expect(decided?.type === 'request' && decided.request.proposal?.ruleName).toBe(`session_approval_${id}`);
    await gateway.stop();
  });

  it('keeps each failure’s kind', async () => {
    const { gateway } = await connected();
    await expect(gateway.approve('r999', 'session')).rejects.toMatchObject({ code: 'not_found' });
    await expect(gateway.approve('r1', 'forever' as never)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(gateway.policy(999)).rejects.toMatchObject({ code: 'not_found' });
    await expect(gateway.applyTier('balanced')).rejects.toMatchObject({ code: 'unimplemented' });
    await expect(gateway.promote('r1', { name: 'pypi', access: 'read-only', anyBinary: true })).rejects.toMatchObject({ code: 'conflict' });
    await gateway.stop();
  });

  it('a wrong token is unauthenticated; no core is unavailable; both reported as the connection state', async () => {
    const wrong = new FeedGateway({ url: core.feedUrl, token: 'not-the-token' });
    const states: GatewayEvent[] = [];
    wrong.subscribe((e) => states.push(e));
    await expect(wrong.start()).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(states.at(-1)).toMatchObject({ type: 'connection', state: { status: 'disconnected', code: 'unauthenticated' } });
    const none = new FeedGateway({ url: 'ws://127.0.0.1:1/', token: 'x' });
    await expect(none.start()).rejects.toMatchObject({ code: 'unavailable' });
  });
});
