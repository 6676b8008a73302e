// Everything the console shows that is derived rather than stored: the visible requests and log lines,
// the cursors, the dashboard's rows, what the nav bar and the help offer, which remote data the screen
// needs. Pure functions of UI state and the world, shared by the reducer and the components.
import { type LogLine, logKindOf } from '../../core/engine/log-buffer.js';
import type { GatewayCapabilities, InboxRequest, Lifetime, RevisionInfo, SandboxInfo } from '../../gateway/gateway.js';
import { builtinNamesOf } from '../../gateway/promote-draft.js';
import type { DirectoryEntry } from '../gateway-directory.js';
import { type QuerySlots, type QueryWant, readSlot, want } from '../queries.js';
import { operatorQueries } from './operator-selectors.js';
import { COLON_NAMES, colonSpec, colonUsage } from './colon-commands.js';
import { COMMAND_IDS, type CommandId, hasNeed, labelsOf, liveIn, specOf } from './commands.js';
import { type ConsoleUiState, initialUiState, type Mode, modeOf, type Screen } from './ui-state.js';

/** What the reducer and the views read besides UI state: the gateway's data and what it can do. */
export interface UiWorld {
  requests: Record<string, InboxRequest>;
  order: string[];
  logs: LogLine[];
  sandboxes: SandboxInfo[];
  revision?: RevisionInfo;
  /** The workspace on screen (ALL_WORKSPACES: every one), on gateways with workspaces. */
  workspace?: string;
  connected: boolean;
  epoch: number;
  queries: QuerySlots;
  gateways: DirectoryEntry[];
  activeGateway: string;
  capabilities: GatewayCapabilities;
}

// ---- inbox ------------------------------------------------------------------------------------

export function matchesFilter(r: InboxRequest, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [r.host, `${r.host}:${r.port}`, r.binary, r.status, r.sandbox].some((v) => v.toLowerCase().includes(f));
}

/** Requests as the inbox lists them: newest first, filtered. */
export function selectVisibleRequests(requests: Record<string, InboxRequest>, order: readonly string[], filter: string): InboxRequest[] {
  const out: InboxRequest[] = [];
  for (const id of order) {
    const r = requests[id];
    if (r && matchesFilter(r, filter)) out.push(r);
  }
  return out;
}

/** The selected request: the one chosen if it is visible, else the first. */
export function selectSelected(
  selectedId: string | undefined,
  visible: readonly InboxRequest[],
): { request?: InboxRequest; index: number } {
  const index = Math.max(
    0,
    visible.findIndex((r) => r.id === selectedId),
  );
  return { request: visible[index], index };
}

export const pendingOf = (rows: readonly InboxRequest[]) => rows.filter((r) => r.status === 'pending');

export function selectLifetime(state: ConsoleUiState, capabilities: GatewayCapabilities): Lifetime {
  const offered = capabilities.lifetimes;
  return offered.length > 0 ? offered[state.lifetimeIndex % offered.length] : 'session';
}

// ---- logs -------------------------------------------------------------------------------------

const RANK = { debug: 0, info: 1, warn: 2, error: 3 } as const;

export function selectVisibleLogs(
  logs: LogLine[],
  level: ConsoleUiState['logLevel'],
  source: string,
  filter: string,
  kind: ConsoleUiState['logKind'] = 'all',
): LogLine[] {
  const min = level === 'all' ? 0 : RANK[level];
  const text = filter.toLowerCase();
  if (!text && min === 0 && source === 'all' && kind === 'all') return logs;
  return logs.filter(
    (l) =>
      RANK[l.level] >= min &&
      (source === 'all' || l.source === source) &&
      (kind === 'all' || logKindOf(l) === kind) &&
      (!text || `${l.source} ${l.message}`.toLowerCase().includes(text)),
  );
}

/** While following, the cursor is the newest line: derived, never copied into state on every new line. */
export function selectLogCursor(state: Pick<ConsoleUiState, 'following' | 'pausedCursor'>, visibleCount: number): number {
  const last = Math.max(0, visibleCount - 1);
  return state.following ? last : Math.min(state.pausedCursor, last);
}

export const selectSourceNames = (logs: readonly LogLine[]) => [...new Set(logs.map((l) => l.source))].sort();

// ---- dashboard --------------------------------------------------------------------------------

export type DashboardRow = { kind: 'gateway'; entry: DirectoryEntry } | { kind: 'sandbox'; sandbox: SandboxInfo };

export function selectDashboardRows(world: Pick<UiWorld, 'gateways' | 'sandboxes'>): DashboardRow[] {
  return [
    ...world.gateways.map((entry) => ({ kind: 'gateway' as const, entry })),
    ...world.sandboxes.map((sandbox) => ({ kind: 'sandbox' as const, sandbox })),
  ];
}

/** The dashboard cursor, clamped to the rows there are (a sandbox may have gone); it starts on the first sandbox. */
export function selectDashIndex(state: ConsoleUiState, world: Pick<UiWorld, 'gateways' | 'sandboxes'>): number {
  const rows = Math.max(1, world.gateways.length + world.sandboxes.length);
  return Math.min(state.dashCursor ?? world.gateways.length, rows - 1);
}

// ---- sandbox ----------------------------------------------------------------------------------

/** The sandbox on screen: the one opened, else the gateway's first. */
export const selectSandbox = (state: ConsoleUiState, world: Pick<UiWorld, 'sandboxes'>) => state.currentSandbox ?? world.sandboxes[0]?.name;

/** The policy revision of the sandbox on screen (a new one means its policy must be fetched again). */
export function selectSandboxRevision(state: ConsoleUiState, world: Pick<UiWorld, 'sandboxes' | 'revision'>): number {
  const name = selectSandbox(state, world);
  return world.sandboxes.find((s) => s.name === name)?.policyRevision ?? world.revision?.number ?? 0;
}

/** What the sandbox screen is showing: the comparison while one is asked for, else the policy and revisions. */
export function selectSandboxView(state: ConsoleUiState, world: Pick<UiWorld, 'queries' | 'sandboxes' | 'revision'>) {
  const [policyQ, revisionsQ, comparisonQ] = sandboxQueries(state, world);
  const policy = readSlot(world.queries, { ...policyQ, kind: 'policy' });
  const revisions = readSlot(world.queries, { ...revisionsQ, kind: 'revisions' });
  const comparison = comparisonQ ? readSlot(world.queries, { ...comparisonQ, kind: 'comparison' }) : undefined;
  const lines = comparison ? (comparison.data?.lines.length ?? 0) : (policy.data?.yaml.split('\n').length ?? 0);
  return { policy, revisions, comparison, lines };
}

function sandboxQueries(state: ConsoleUiState, world: Pick<UiWorld, 'sandboxes' | 'revision'>): QueryWant[] {
  const sandbox = selectSandbox(state, world);
  const at = selectSandboxRevision(state, world);
  return [
    want('policy', sandbox, at),
    want('revisions', sandbox, at),
    ...(state.compareRev === undefined ? [] : [want('comparison', sandbox, at, state.compareRev)]),
  ];
}

/** The remote data the current screen and overlay need; the query hook fetches those not yet answered. */
export function selectWantedQueries(state: ConsoleUiState, world: UiWorld): QueryWant[] {
  if (!world.connected) return [];
  const out: QueryWant[] = [];
  if (state.screen === 'sandbox') out.push(...sandboxQueries(state, world));
  if (state.screen === 'dashboard' && world.capabilities.providers) out.push(want('providers', undefined, world.epoch));
  out.push(...operatorQueries(state, world));
  const commandPrompt = state.prompt?.kind === 'command';
  if ((state.overlay === 'promote' || commandPrompt) && world.capabilities.presets)
    out.push(want('presets', selectSandbox(state, world), `${world.epoch}.${selectSandboxRevision(state, world)}`));
  return out;
}

// ---- promote ----------------------------------------------------------------------------------

/** Built-in preset names, as far as the gateway has told them (their names cannot be taken). */
export function selectBuiltinPresets(
  state: ConsoleUiState,
  world: Pick<UiWorld, 'queries' | 'sandboxes'>,
): { names: string[]; error?: string } {
  const q = want('presets', selectSandbox(state, world), 0);
  const slot = readSlot(world.queries, { ...q, kind: 'presets' });
  return { names: builtinNamesOf(slot.data ?? []), error: slot.error ? `cannot list presets: ${slot.error.message}` : undefined };
}

// ---- keys offered -----------------------------------------------------------------------------

export interface Hint {
  keys: string;
  label: string;
}

function offered(mode: Mode, state: ConsoleUiState, capabilities: GatewayCapabilities): CommandId[] {
  return COMMAND_IDS.filter((id) => liveIn(id, mode, state) && hasNeed(capabilities, specOf(id).needs));
}

/** The nav bar: the keys live right now (help and quit first, so a narrow terminal still shows the way out). */
export function selectFooter(state: ConsoleUiState, capabilities: GatewayCapabilities): { hints: Hint[]; lifetime?: Lifetime } {
  const mode = modeOf(state);
  const first: CommandId[] = ['help', 'quit'];
  const ids = offered(mode, state, capabilities).filter((id) => specOf(id).hint);
  ids.sort((a, b) => Number(first.includes(b)) - Number(first.includes(a)));
  const hints = ids.map((id) => ({ keys: labelsOf(id, mode)[0], label: specOf(id).hint! }));
  const lifetime =
    mode === 'normal' && state.screen === 'inbox' && capabilities.lifetimes.length > 0 ? selectLifetime(state, capabilities) : undefined;
  return { hints, lifetime };
}

export interface HelpEntry {
  keys: string;
  description: string;
}

/** The `?` overlay: every key of the screen, then the `:` commands. */
export function selectHelp(screen: Screen, capabilities: GatewayCapabilities): { title: string; entries: HelpEntry[]; commands: string[] } {
  const normal: ConsoleUiState = { ...initialUiState(), screen };
  const entries = offered('normal', normal, capabilities).map((id) => ({
    keys: labelsOf(id, 'normal').join(' '),
    description: specOf(id).description,
  }));
  return {
    title: `Keys — ${screen}`,
    entries,
    commands: COLON_NAMES.filter((n) => hasNeed(capabilities, colonSpec(n).needs)).map(colonUsage),
  };
}
