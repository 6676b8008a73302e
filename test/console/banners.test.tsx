// Notices become banners on every screen (a real core, its real notices, Ink): the inbox reaching
// --max-pending raises one, deciding makes room and takes it down; the pure banner state beside it.
import { afterEach, describe, expect, it } from 'vitest';
import { applyNotice, selectBanners } from '../../src/store/banners.js';
import { standingNotices } from '../../src/gateway/core-projection.js';
import { startConsole } from '../helpers/console.js';

type Console = Awaited<ReturnType<typeof startConsole>>;

let ui: Console | undefined;
afterEach(async () => {
  await ui?.stop();
  ui = undefined;
});

describe('banners', () => {
  it('the inbox at --max-pending raises a banner on every screen; deciding takes it down', async () => {
    ui = await startConsole({ holdTimeoutSeconds: 0, maxPending: 2 });
    for (const host of ['a.test', 'b.test', 'c.test']) await ui.core.evaluate({ host, port: 443, binary: '/usr/bin/curl' });
    let frame = await ui.waitForFrame((f) => f.includes('inbox: the inbox is full'));
    expect(frame).toContain('--max-pending');
    await ui.press('4');
    frame = await ui.waitForFrame((f) => f.includes('FOLLOWING'));
    expect(frame).toContain('inbox: the inbox is full');
    await ui.press('1', 'r');
    await ui.waitForFrame((f) => !f.includes('the inbox is full') && f.includes('rejected'));
  });

  it('notices and their all-clears, as pure state; a client connecting late still gets what stands', () => {
    let b = applyNotice({}, { kind: 'inbox-full', time: 1, limit: 2, message: 'full' });
    b = applyNotice(b, { kind: 'audit-failing', time: 2, error: 'ENOSPC', message: 'no audit' });
    expect(selectBanners(b).map((x) => [x.topic, x.level])).toEqual([
      ['audit', 'error'],
      ['inbox', 'warn'],
    ]);
    b = applyNotice(b, { kind: 'audit-recovered', time: 3, lost: 4, message: 'ok' });
    b = applyNotice(b, { kind: 'inbox-open', time: 4, refused: 1, message: 'room' });
    expect(selectBanners(b)).toEqual([]);
    const standing = standingNotices({
      inbox: { pending: 2, maxPending: 2, refused: 1, held: 0, maxHeld: 10, heldOverflow: 0 },
      audit: { writable: false, error: 'EIO', lost: 1, required: true },
    });
    expect(standing.map((n) => n.kind)).toEqual(['audit-failing', 'inbox-full']);
    expect(standing[0].message).toContain('--audit-required');
  });
});
