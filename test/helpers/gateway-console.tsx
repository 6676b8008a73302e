// Renders the real console on any Gateway (a GrpcGateway against a served core or a gateway double, over
// real gRPC), with keys sent one write at a time as a person types them.
import { render } from 'ink-testing-library';
import { ConsoleApp } from '../../components/ConsoleApp.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import { createConsoleStore } from '../../src/store/console-store.js';
import { ConsoleProvider } from '../../src/store/context.js';
import { EventBuffer } from '../../src/store/event-buffer.js';

export async function renderGatewayConsole(gateway: Gateway) {
  const store = createConsoleStore(gateway.info);
  const buffer = new EventBuffer((events) => store.getState().apply(events), 10);
  const unsubscribe = gateway.subscribe((e) => buffer.push(e));
  await gateway.start();
  const ink = render(
    <ConsoleProvider store={store} gateway={gateway}>
      <ConsoleApp onQuit={() => {}} theme="dark" />
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
    async waitForFrame(check: (frame: string) => boolean, what = 'frame') {
      for (let i = 0; i < 250; i++) {
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
