// Starts the console on a pool of gateways: each gateway's events are buffered and flushed into its
// own store, Ink renders the active one, and on quit everything is stopped in order.
import { render } from 'ink';
import { useStore } from 'zustand';
import { ConsoleApp } from '../../components/ConsoleApp.js';
import type { GatewayEvent } from '../gateway/gateway.js';
import { ConsoleProvider } from '../store/context.js';
import type { GatewayPool } from '../store/gateway-pool.js';

export interface RunConsoleOptions {
  theme?: string;
  bell?: boolean;
  /** The status line to start with (e.g. "attached to the core already running …"). */
  status?: string;
}

/** The active gateway's store and actions; switching gateways remounts the screen on the other one. */
export function ConsoleRoot({ pool, onQuit, theme, status }: { pool: GatewayPool; onQuit(): void; theme?: string; status?: string }) {
  const active = useStore(pool.directory, (s) => s.active);
  const { store, gateway } = pool.active();
  return (
    <ConsoleProvider key={active} store={store} gateway={gateway} pool={pool}>
      <ConsoleApp onQuit={onQuit} theme={theme} status={status} />
    </ConsoleProvider>
  );
}

export async function runConsole(pool: GatewayPool, options: RunConsoleOptions = {}): Promise<void> {
  pool.active();
  let app: ReturnType<typeof render> | undefined;
  const quit = () => app?.unmount();
  app = render(<ConsoleRoot pool={pool} onQuit={quit} theme={options.theme} status={options.status} />, {
    maxFps: 30,
    patchConsole: false,
    exitOnCtrlC: true,
  });
  await app.waitUntilExit();
  for (const problem of await pool.stop()) process.stderr.write(`openshell-term: stopping ${problem}\n`);
}

/** Rings the terminal bell on each new pending request, whichever gateway it came from. */
export function bellOnNewRequests(enabled: boolean) {
  return enabled
    ? (_name: string, event: GatewayEvent) => {
        if (event.type === 'request' && event.request.hits === 1 && event.request.status === 'pending') process.stdout.write('\u0007');
      }
    : undefined;
}
