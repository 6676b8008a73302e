// The gateway's data travels through React context (its store, the gateway, the pool to switch with), so
// every test renders with a fresh one. UI state and actions have contexts of their own (hooks/).
import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { useStore } from 'zustand';
import type { Gateway } from '../gateway/gateway.js';
import type { GatewayPool } from './gateway-pool.js';
import type { DirectoryEntry } from './gateway-directory.js';
import type { createConsoleStore, ConsoleStore } from './console-store.js';

type StoreApi = ReturnType<typeof createConsoleStore>;

interface ConsoleContextValue {
  store: StoreApi;
  gateway: Gateway;
  /** Every gateway this console can switch to (absent: just this one). */
  pool?: GatewayPool;
}

const ConsoleContext = createContext<ConsoleContextValue | undefined>(undefined);

export function ConsoleProvider({ store, gateway, pool, children }: ConsoleContextValue & { children: ReactNode }) {
  return <ConsoleContext.Provider value={{ store, gateway, pool }}>{children}</ConsoleContext.Provider>;
}

function useConsoleContext(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('ConsoleProvider is missing');
  return value;
}

export function useConsoleStore<T>(selector: (state: ConsoleStore) => T): T {
  return useStore(useConsoleContext().store, selector);
}

/** The store itself, for reading at the moment of an action (not for rendering). */
export function useConsoleStoreApi(): StoreApi {
  return useConsoleContext().store;
}

export function useGateway(): Gateway {
  return useConsoleContext().gateway;
}

const NO_POOL = { getState: () => undefined, subscribe: () => () => {} };

/** The gateways to list on the dashboard (this one alone without a pool), and how to switch. */
export function useGatewayDirectory(): { entries: DirectoryEntry[]; active: string; switchTo(name: string): string | undefined } {
  const { store, pool } = useConsoleContext();
  const info = useStore(store, (s) => s.gateway);
  const connection = useStore(store, (s) => s.connection);
  const directory = useStore((pool?.directory ?? NO_POOL) as NonNullable<GatewayPool['directory']>);
  return useMemo(() => {
    if (!pool || !directory)
      return { entries: [{ info, connection }], active: info.name, switchTo: () => 'only one gateway is configured' };
    return { entries: directory.entries, active: directory.active, switchTo: (name: string) => pool.activate(name) };
  }, [pool, directory, info, connection]);
}
