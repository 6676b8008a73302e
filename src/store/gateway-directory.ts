// Every gateway the console knows (the embedded core and each discovered one) with its connection
// state, and which one is on screen. Written by the pool from gateway events and the operator's switch.
import { createStore } from 'zustand/vanilla';
import type { ConnectionState, GatewayInfo } from '../gateway/gateway.js';

export interface DirectoryEntry {
  info: GatewayInfo;
  connection: ConnectionState;
  /** Why it cannot be used (a broken metadata.json, an expired token), instead of connecting. */
  problem?: string;
}

export interface GatewayDirectory {
  entries: DirectoryEntry[];
  active: string;
}

export function createGatewayDirectory(entries: DirectoryEntry[], active: string) {
  return createStore<GatewayDirectory>()(() => ({ entries, active }));
}

export type GatewayDirectoryStore = ReturnType<typeof createGatewayDirectory>;
