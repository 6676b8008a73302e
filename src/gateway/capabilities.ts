// Capability sets shared by more than one adapter (a type-only leaf: nothing here does work).
import type { GatewayCapabilities } from './gateway.js';

/** An enforcement core, in this process or over its feed: session lifetimes, presets, promote; no providers. */
export const CORE_CAPABILITIES: GatewayCapabilities = {
  lifetimes: ['session', 'once', '10m'],
  promote: true,
  promoteDryRun: true,
  promoteTls: true,
  presets: true,
  tiers: true,
  providers: false,
  workspaces: false,
  settings: false,
  draftHistory: false,
  // A rejected request is approved like a pending one; requests are live connections, decided as asked
  // for (nothing to narrow, nothing to clear).
  reapprove: true,
  editChunk: false,
  clearDrafts: false,
  sandboxMetadata: false,
};
