// What the operator views show, derived from UI state and the world: the workspace cycle, the sandbox
// screen's metadata / settings / draft history, a provider's detail, the log lines a copy takes, and
// which of these the query hook must fetch. Pure functions, shared by the reducer and the components.
import type { LogLine } from '../../core/engine/log-buffer.js';
import { ALL_WORKSPACES, type SettingRow } from '../../gateway/operator-views.js';
import type { GatewayCapabilities, RevisionInfo, SandboxInfo } from '../../gateway/gateway.js';
import { type QuerySlots, type QueryWant, readSlot, want, wantNamed } from '../queries.js';
import type { ConsoleUiState, SettingTarget } from './ui-state.js';

/** The part of the UI world (selectors.ts's UiWorld) these views read; declared here so neither file imports the other's. */
export interface OperatorWorld {
  queries: QuerySlots;
  sandboxes: SandboxInfo[];
  revision?: RevisionInfo;
  epoch: number;
  capabilities: GatewayCapabilities;
}
type World = OperatorWorld;
type UiWorld = OperatorWorld;

const sandboxOf = (state: ConsoleUiState, world: Pick<UiWorld, 'sandboxes'>) => state.currentSandbox ?? world.sandboxes[0]?.name;

// ---- workspaces ---------------------------------------------------------------------------------

/** The workspaces `w` cycles through: each the gateway lists, then all of them at once (or why there is no list). */
export function selectWorkspaceCycle(world: Pick<UiWorld, 'queries' | 'epoch'>): { cycle?: string[]; error?: string } {
  const slot = readSlot(world.queries, { ...want('workspaces', undefined, world.epoch), kind: 'workspaces' });
  if (!slot.data) return { error: slot.error?.message };
  return { cycle: [...slot.data.map((w) => w.name), ALL_WORKSPACES] };
}

/** The workspace after `current` in the cycle (from the first when current is unknown). */
export function nextWorkspace(cycle: readonly string[], current: string | undefined): string {
  const at = current === undefined ? -1 : cycle.indexOf(current);
  return cycle[(at + 1) % cycle.length];
}

// ---- the sandbox screen's views ------------------------------------------------------------------

function sandboxKey(state: ConsoleUiState, world: Pick<UiWorld, 'sandboxes' | 'revision' | 'epoch'>): string {
  const name = sandboxOf(state, world);
  const s = world.sandboxes.find((x) => x.name === name);
  return `${world.epoch}.${s?.policyRevision ?? world.revision?.number ?? 0}.${s?.phase ?? ''}.${s?.pending ?? 0}`;
}

const metadataQ = (state: ConsoleUiState, world: World) => want('sandboxMetadata', sandboxOf(state, world), sandboxKey(state, world));
const settingsQ = (state: ConsoleUiState, world: World) => want('settings', sandboxOf(state, world), `${world.epoch}.${state.settingsRev}`);
const globalSettingsQ = (state: ConsoleUiState, world: World) => want('globalSettings', undefined, `${world.epoch}.${state.settingsRev}`);
const historyQ = (state: ConsoleUiState, world: World) => want('draftHistory', sandboxOf(state, world), sandboxKey(state, world));
const providerQ = (name: string, world: World) => wantNamed('providerDetail', name, world.epoch);

export const selectSandboxMetadata = (state: ConsoleUiState, world: World) =>
  readSlot(world.queries, { ...metadataQ(state, world), kind: 'sandboxMetadata' });

export const selectDraftHistory = (state: ConsoleUiState, world: World) =>
  readSlot(world.queries, { ...historyQ(state, world), kind: 'draftHistory' });

export const selectProviderDetail = (name: string, world: World) =>
  readSlot(world.queries, { ...providerQ(name, world), kind: 'providerDetail' });

export type ScopedSetting = SettingRow & { scope: SettingTarget['scope'] };

/** The settings view: the sandbox's effective settings, then the gateway-global ones. */
export function selectSettingsRows(state: ConsoleUiState, world: World) {
  const sandbox = readSlot(world.queries, { ...settingsQ(state, world), kind: 'settings' });
  const global = readSlot(world.queries, { ...globalSettingsQ(state, world), kind: 'globalSettings' });
  const rows: ScopedSetting[] = [
    ...(sandbox.data ?? []).map((r) => ({ ...r, scope: 'sandbox' as const })),
    ...(global.data ?? []).map((r) => ({ ...r, scope: 'global' as const })),
  ];
  return {
    rows,
    sandbox: sandboxOf(state, world),
    loading: sandbox.loading || global.loading,
    error: sandbox.error ?? global.error,
    cursor: Math.min(state.settingsCursor, Math.max(0, rows.length - 1)),
  };
}

/** The remote data the operator views on screen need (added to selectWantedQueries). */
export function operatorQueries(state: ConsoleUiState, world: World): QueryWant[] {
  const out: QueryWant[] = [];
  if (world.capabilities.workspaces) out.push(want('workspaces', undefined, world.epoch));
  if (state.screen === 'sandbox') {
    if (state.sandboxTab === 'metadata' && world.capabilities.sandboxMetadata) out.push(metadataQ(state, world));
    if (state.sandboxTab === 'settings' && world.capabilities.settings) out.push(settingsQ(state, world), globalSettingsQ(state, world));
    if (state.sandboxTab === 'history' && world.capabilities.draftHistory) out.push(historyQ(state, world));
  }
  if (state.screen === 'dashboard' && state.providerDetail && world.capabilities.providers)
    out.push(providerQ(state.providerDetail, world));
  return out;
}

// ---- logs: what a copy takes ----------------------------------------------------------------------

/** Log lines on screen: the body is rows - 6 high, the logs pane's own header takes one of them. */
export const logViewHeight = (state: Pick<ConsoleUiState, 'rows'>) => Math.max(4, state.rows - 6) - 1;

/** The window of visible lines ending at the cursor, as the logs pane draws it. */
export function selectLogWindow(cursor: number, count: number, height: number): { start: number; end: number } {
  const end = Math.min(count, cursor + 1);
  return { start: Math.max(0, end - height), end };
}

/** A log line as plain text for the clipboard: the same fields the pane shows, untruncated. */
export const plainLogLine = (l: LogLine) => `${new Date(l.time).toISOString()} ${l.level} ${l.source} ${l.message}`;
