// Renders the real console on a real in-process core (proxy and feed on loopback, free ports), with keys
// sent one write at a time, as a person types them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { ConsoleApp } from '../../components/ConsoleApp.js';
import { EmbeddedGateway } from '../../src/gateway/embedded/embedded-gateway.js';
import { startStandalone } from '../../src/gateway/embedded/standalone.js';
import { createConsoleStore } from '../../src/store/console-store.js';
import { ConsoleProvider } from '../../src/store/context.js';
import { EventBuffer } from '../../src/store/event-buffer.js';

export const KEYS = { enter: '\r', escape: '\u001b', down: '\u001b[B', up: '\u001b[A', tab: '\t', backspace: '\u007f' };

export async function startConsole(options: { holdTimeoutSeconds?: number; maxPending?: number } = {}) {
  const standalone = await startStandalone({
    stateDir: mkdtempSync(join(tmpdir(), 'ost-console-')),
    proxyListen: '127.0.0.1:0',
    holdTimeoutSeconds: options.holdTimeoutSeconds ?? 30,
    maxPending: options.maxPending,
    identify: async () => ({ binary: '/usr/bin/curl', pid: 4242 }),
  });
  const gateway = new EmbeddedGateway(standalone, 'test');
  const store = createConsoleStore(gateway.info);
  const buffer = new EventBuffer((events) => store.getState().apply(events), 10);
  gateway.subscribe((e) => buffer.push(e));
  await gateway.start();
  let quit = false;
  const ink = render(
    <ConsoleProvider store={store} gateway={gateway}>
      <ConsoleApp onQuit={() => (quit = true)} theme="dark" />
    </ConsoleProvider>,
  );
  const frame = () => ink.lastFrame() ?? '';
  const settle = () => new Promise((r) => setTimeout(r, 40));
  return {
    core: standalone.core,
    standalone,
    gateway,
    frame,
    quitRequested: () => quit,
    /** One key per write; waits for the frame to catch up. */
    async press(...keys: string[]) {
      for (const key of keys) {
        ink.stdin.write(key);
        await settle();
      }
    },
    async type(text: string) {
      for (const ch of text) await this.press(ch);
    },
    async waitForFrame(check: (frame: string) => boolean, what = 'frame') {
      for (let i = 0; i < 200; i++) {
        if (check(frame())) return frame();
        await settle();
      }
      throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
    },
    async stop() {
      ink.unmount();
      buffer.stop();
      await gateway.stop();
    },
  };
}
