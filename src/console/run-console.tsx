// Starts the console on a gateway: events are buffered and flushed into the store, Ink renders, and on
// quit everything is stopped in order.
import { render } from 'ink';
import { ConsoleApp } from '../../components/ConsoleApp.js';
import type { Gateway } from '../gateway/gateway.js';
import { createConsoleStore } from '../store/console-store.js';
import { ConsoleProvider } from '../store/context.js';
import { EventBuffer } from '../store/event-buffer.js';

export interface RunConsoleOptions {
  theme?: string;
  bell?: boolean;
}

export async function runConsole(gateway: Gateway, options: RunConsoleOptions = {}): Promise<void> {
  const store = createConsoleStore(gateway.info);
  const buffer = new EventBuffer((events) => store.getState().apply(events));
  const unsubscribe = gateway.subscribe((event) => {
    buffer.push(event);
    if (options.bell && event.type === 'request' && event.request.hits === 1 && event.request.status === 'pending') process.stdout.write('\u0007');
  });
  await gateway.start();
  let app: ReturnType<typeof render> | undefined;
  const quit = () => app?.unmount();
  app = render(
    <ConsoleProvider store={store} gateway={gateway}>
      <ConsoleApp onQuit={quit} theme={options.theme} />
    </ConsoleProvider>,
    { maxFps: 30, patchConsole: false, exitOnCtrlC: true },
  );
  await app.waitUntilExit();
  unsubscribe();
  buffer.stop();
  await gateway.stop();
}
