// The binding, through Ink: whatever arrives in one write is every key in it, and Ctrl keys reach the
// registry. (Behaviour itself is tested without Ink, in test/store/ui/.)
import { afterEach, describe, expect, it } from 'vitest';
import { startConsole } from '../helpers/console.js';

type Console = Awaited<ReturnType<typeof startConsole>>;
let ui: Console | undefined;
afterEach(async () => {
  await ui?.stop();
  ui = undefined;
});

const hold = (c: Console, host: string) => c.core.evaluate({ host, port: 443, binary: '/usr/bin/curl' });
const selectedRow = (frame: string) => frame.split('\n').find((l) => l.startsWith('▌'));

describe('keys through Ink', () => {
  it('"jj" in one write moves two rows; a burst of Backspace in the filter is all applied', async () => {
    ui = await startConsole();
    for (const h of ['one.example', 'two.example', 'three.example']) {
      void hold(ui, h);
      await ui.waitForFrame((f) => f.includes(h));
    }
    await ui.press('g');
    await ui.waitForFrame((f) => selectedRow(f)?.includes('three.example') ?? false, 'the newest selected');
    await ui.press('jj');
    await ui.waitForFrame((f) => selectedRow(f)?.includes('one.example') ?? false, 'two rows down');
    await ui.press('/', 'twox', '\u007f\u007f\u007f\u007f', 'two', '\r');
    const frame = await ui.waitForFrame((f) => f.includes('filter: two') && !f.includes('three.example'), 'the filter');
    expect(frame).toContain('two.example');
  });

  it('Ctrl keys are matchable: C-u clears the command line', async () => {
    ui = await startConsole();
    await ui.press(':', 'frobnicate', '\u0015', 'q', '\r');
    expect(ui.quitRequested()).toBe(true);
  });
});
