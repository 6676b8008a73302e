// The store travels through React context, so every test renders with a fresh one.
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Gateway } from '../gateway/gateway.js';
import type { createConsoleStore, ConsoleStore } from './console-store.js';

type StoreApi = ReturnType<typeof createConsoleStore>;

interface ConsoleContextValue {
  store: StoreApi;
  gateway: Gateway;
}

const ConsoleContext = createContext<ConsoleContextValue | undefined>(undefined);

export function ConsoleProvider({ store, gateway, children }: ConsoleContextValue & { children: ReactNode }) {
  return <ConsoleContext.Provider value={{ store, gateway }}>{children}</ConsoleContext.Provider>;
}

function useConsoleContext(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('ConsoleProvider is missing');
  return value;
}

export function useConsoleStore<T>(selector: (state: ConsoleStore) => T): T {
  return useStore(useConsoleContext().store, selector);
}

export function useGateway(): Gateway {
  return useConsoleContext().gateway;
}
