// Notices become banners on every screen (a real core, its real notices, Ink): the inbox reaching
// --max-pending raises one, deciding makes room and takes it down; the pure banner state beside it.
import { afterEach, describe, expect, it } from 'vitest';
import { applyNotice, selectBanners } from '../../src/store/banners.js';
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

  it('notices and their all-clears, as pure state', () => {
    let b = applyNotice({}, { topic: 'inbox', active: true, message: 'full' });
    b = applyNotice(b, { topic: 'audit', active: true, message: 'no audit' });
    expect(selectBanners(b).map((x) => [x.topic, x.level])).toEqual([
      ['audit', 'error'],
      ['inbox', 'warn'],
    ]);
    b = applyNotice(b, { topic: 'audit', active: false, message: 'ok' });
    b = applyNotice(b, { topic: 'inbox', active: false, message: 'room' });
    expect(selectBanners(b)).toEqual([]);
  });
});
