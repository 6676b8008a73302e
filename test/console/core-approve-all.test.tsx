// Approve-all on an enforcement core shows the same dialog as on a gateway, from the core's own pending
// list: every request it approves (one change, one revision) and those it skips — an unidentified binary,
// which approving would open to any program. The embedded console, and the same preview over the feed.
import { afterEach, describe, expect, it } from 'vitest';
import { FeedGateway } from '../../src/gateway/feed/feed-gateway.js';
import { KEYS, startConsole } from '../helpers/console.js';

type Console = Awaited<ReturnType<typeof startConsole>>;
let ui: Console | undefined;

afterEach(async () => {
  await ui?.stop();
  ui = undefined;
});

describe('approve-all on a core', () => {
  it('lists what it approves and skips the unknown binary, says why; y approves exactly the listed ones', async () => {
    ui = await startConsole();
    const known = ['a.example', 'b.example'].map((host) => ui!.core.evaluate({ host, port: 443, binary: '/usr/bin/curl' }));
    void ui.core.evaluate({ host: 'who.example', port: 443, binary: 'unknown' });
    await ui.waitForFrame((f) => f.includes('a.example') && f.includes('b.example') && f.includes('who.example'));
    const revision = ui.core.revision.number;
    await ui.press('A');
    const dialog = await ui.waitForFrame((f) => f.includes('Approve 2 of 3 visible pending requests (session); skip 1?'), 'the dialog');
    expect(dialog).toMatch(/✓ a\.example:443/);
    expect(dialog).toMatch(/✓ b\.example:443/);
    expect(dialog).toMatch(/who\.example:443 +binary unknown: approving would let any unidentified program through/);
    await ui.press('y');
    expect((await Promise.all(known)).every((v) => v.allowed)).toBe(true);
    expect(ui.core.revision.number).toBe(revision + 1); // one change for the batch
    expect(ui.core.listRequests().find((r) => r.host === 'who.example')?.status).toBe('pending');
    await ui.press(KEYS.escape);
  });

  it('the feed gateway previews the same from the running core (asked fresh)', async () => {
    ui = await startConsole();
    void ui.core.evaluate({ host: 'c.example', port: 443, binary: '/usr/bin/curl' });
    void ui.core.evaluate({ host: 'who.example', port: 443, binary: 'unknown' });
    const { feedUrl, token } = ui.standalone;
    const feed = new FeedGateway({ url: feedUrl, token });
    await feed.start();
    try {
      const ids = ui.core.listRequests().map((r) => r.id);
      const preview = await feed.approveAllPreview([...ids, 'no-such-id']);
      expect(preview.approve.map((r) => r.host)).toEqual(['c.example']);
      expect(preview.skip.map((k) => [k.request.host, k.why])).toEqual([['who.example', 'unknown-binary']]);
      await expect(feed.reapprove(ids[0], 'session')).rejects.toMatchObject({ code: 'failed_precondition' });
      await expect(feed.clearDrafts()).rejects.toMatchObject({ code: 'unimplemented' });
    } finally {
      await feed.stop();
    }
  });
});
