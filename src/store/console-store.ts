// The console's remote data, one store per gateway: what the gateway tells (requests, revision, logs,
// sandboxes, connection), applied from its events in batches, and what the console asks it (policies,
// revisions, providers, presets: queries.ts), written by the one query hook. UI state lives elsewhere
// (ui/ui-state.ts); components select narrowly from both.
import { createStore } from 'zustand/vanilla';
import { applyNotice, type Banners } from './banners.js';
import type { LogLine } from '../core/engine/log-buffer.js';
import type {
  ConnectionState,
  GatewayEvent,
  GatewayInfo,
  InboxRequest,
  RevisionInfo,
  SandboxInfo,
  UndraftableDenial,
} from '../gateway/gateway.js';
import type { QueryKind, QuerySlot, QuerySlots } from './queries.js';

export const MAX_LOG_LINES = 5000;
/** Distinct undraftable denials kept (the oldest go first). */
export const MAX_UNDRAFTABLE = 50;

export interface ConsoleData {
  gateway: GatewayInfo;
  connection: ConnectionState;
  /** Requests by id, and ids newest first (stable references between unrelated updates). */
  requests: Record<string, InboxRequest>;
  order: string[];
  revision?: RevisionInfo;
  logs: LogLine[];
  sandboxes: SandboxInfo[];
  /**
   * Denials that can never become a draft (destination guard, allowed_ips drift), newest first: one
   * entry per sandbox, destination, process and kind, counted, so a retrying agent does not flood it.
   */
  undraftable: UndraftableDenial[];
  /** What every screen shows until it is over (inbox full, audit failing): from the gateway's notices. */
  banners: Banners;
  /** The workspace on screen (ALL_WORKSPACES: every one), as the gateway's last snapshot said; unset without workspaces. */
  workspace?: string;
  /** Bumped on every applied batch: lets views re-render countdowns without a timer of their own. */
  version: number;
  /** Counts connections made: answers fetched on an earlier connection are asked again. */
  epoch: number;
  queries: QuerySlots;
}

export interface ConsoleStore extends ConsoleData {
  apply(events: GatewayEvent[]): void;
  setQuery(kind: QueryKind, slot: QuerySlot<unknown>): void;
}

export function createConsoleStore(gateway: GatewayInfo) {
  return createStore<ConsoleStore>()((set) => ({
    gateway,
    connection: { status: 'connecting' },
    requests: {},
    order: [],
    logs: [],
    sandboxes: [],
    undraftable: [],
    banners: {},
    version: 0,
    epoch: 0,
    queries: {},
    apply(events) {
      set((state) => applyEvents(state, events));
    },
    setQuery(kind, slot) {
      set((state) => ({ queries: { ...state.queries, [kind]: slot } }));
    },
  }));
}

export type ConsoleStoreApi = ReturnType<typeof createConsoleStore>;

/** Applies a batch of events in one update (one render), however many events arrived. */
export function applyEvents(state: ConsoleData, events: GatewayEvent[]): Partial<ConsoleData> {
  let requests = state.requests;
  let order = state.order;
  let logs = state.logs;
  let { revision, sandboxes, connection, epoch, undraftable, workspace, banners } = state;
  let newLogs: LogLine[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'snapshot':
        requests = Object.fromEntries(event.requests.map((r) => [r.id, r]));
        order = [...event.requests].sort((a, b) => b.firstSeen - a.firstSeen).map((r) => r.id);
        revision = event.revision;
        logs = event.logs.slice(-MAX_LOG_LINES);
        newLogs = [];
        sandboxes = event.sandboxes;
        // A resync starts the list over: the log tail it replays says again what still applies.
        undraftable = [];
        workspace = event.workspace ?? workspace;
        // Banners are state the gateway re-sends after a snapshot (standing notices), never carried over.
        banners = {};
        break;
      case 'request':
        if (requests === state.requests) requests = { ...requests };
        if (!(event.request.id in requests)) order = [event.request.id, ...order];
        requests[event.request.id] = event.request;
        break;
      case 'revision':
        revision = event.revision;
        sandboxes = sandboxes.map((s) =>
          !event.sandbox || s.name === event.sandbox ? { ...s, policyRevision: event.revision.number } : s,
        );
        break;
      case 'sandboxes':
        sandboxes = event.sandboxes;
        break;
      case 'removed': {
        const ids = new Set(event.ids.filter((id) => id in requests));
        if (ids.size === 0) break;
        if (requests === state.requests) requests = { ...requests };
        for (const id of ids) delete requests[id];
        order = order.filter((id) => !ids.has(id));
        break;
      }
      case 'log':
        newLogs.push(event.line);
        break;
      case 'undraftable':
        undraftable = withUndraftable(undraftable, event.denial);
        break;
      case 'notice':
        banners = applyNotice(banners, event.notice);
        break;
      case 'connection':
        if (event.state.status === 'connected' && connection.status !== 'connected') epoch++;
        connection = event.state;
        break;
    }
  }
  if (newLogs.length > 0) {
    logs = logs.concat(newLogs);
    if (logs.length > MAX_LOG_LINES) logs = logs.slice(logs.length - MAX_LOG_LINES);
  }
  return { requests, order, logs, revision, sandboxes, connection, epoch, undraftable, workspace, banners, version: state.version + 1 };
}

const sameDenial = (a: UndraftableDenial, b: UndraftableDenial) =>
  a.sandbox === b.sandbox && a.host === b.host && a.port === b.port && a.process === b.process && a.kind === b.kind;

/** The list with this denial first: a repeat of one listed counts up and moves to the top. */
function withUndraftable(list: UndraftableDenial[], denial: UndraftableDenial): UndraftableDenial[] {
  const known = list.find((d) => sameDenial(d, denial));
  const entry = known ? { ...denial, count: known.count + denial.count } : denial;
  return [entry, ...list.filter((d) => d !== known)].slice(0, MAX_UNDRAFTABLE);
}
