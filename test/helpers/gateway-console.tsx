// Renders the real console (ink-testing-library) on any Gateway — a GrpcGateway on a served core or on the
// gateway double, over real sockets — with keys sent one write at a time, as a person types them.
import { render } from 'ink-testing-library';
import { ConsoleApp } from '../../components/ConsoleApp.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import { createConsoleStore } from '../../src/store/console-store.js';
import { ConsoleProvider } from '../../src/store/context.js';
import { EventBuffer } from '../../src/store/event-buffer.js';

export const KEYS = { enter: '\r', escape: '\u001b', down: '\u001b[B', up: '\u001b[A', tab: '\t', backspace: '\u007f', ctrlU: '\u0015' };

export async function startGatewayConsole(gateway: Gateway) {
  const store = createConsoleStore(gateway.info);
  const buffer = new EventBuffer((events) => store.getState().apply(events), 10);
  const unsubscribe = gateway.subscribe((e) => buffer.push(e));
  await gateway.start();
  const ink = render(
    <ConsoleProvider store={store} gateway={gateway}>
      <ConsoleApp onQuit={() => undefined} theme="dark" />
    </ConsoleProvider>,
  );
  const frame = () => ink.lastFrame() ?? '';
  const settle = () => new Promise((r) => setTimeout(r, 40));
  /** Every byte the console wrote to its terminal (OSC sequences included). */
  const written = () => (ink.stdout as unknown as { frames: string[] }).frames.join('');
  return {
    store,
    frame,
    written,
    async press(...keys: string[]) {
      for (const key of keys) {
        ink.stdin.write(key);
        await settle();
      }
    },
    async type(text: string) {
      for (const ch of text) await this.press(ch);
    },
    async waitForFrame(check: (frame: string) => boolean, what = 'frame', tries = 250) {
      for (let i = 0; i < tries; i++) {
        if (check(frame())) return frame();
        await settle();
      }
      throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
    },
    async stop() {
      ink.unmount();
      buffer.stop();
      unsubscribe();
      await gateway.stop();
    },
  };
}

/** The same, under the name the operator-view tests use. */
export const renderGatewayConsole = startGatewayConsole;
