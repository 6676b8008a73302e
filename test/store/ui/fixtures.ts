// Worlds and key presses for the UI reducer's tests: plain data, no Ink, no core, no timers.
import type { LogLine } from '../../../src/core/engine/log-buffer.js';
import { CORE_CAPABILITIES } from '../../../src/gateway/capabilities.js';
import type { GatewayCapabilities, InboxRequest } from '../../../src/gateway/gateway.js';
import type { Effect } from '../../../src/store/ui/effects.js';
import { keysOf, type TerminalKey } from '../../../src/store/ui/keys.js';
import type { UiWorld } from '../../../src/store/ui/selectors.js';
import { reduce, type UiAction } from '../../../src/store/ui/ui-reducer.js';
import { type ConsoleUiState, initialUiState } from '../../../src/store/ui/ui-state.js';

export const GATEWAY_CAPABILITIES: GatewayCapabilities = { ...CORE_CAPABILITIES, lifetimes: [], promoteDryRun: false, providers: true };

export function request(id: string, firstSeen: number, over: Partial<InboxRequest> = {}): InboxRequest {
  return {
    id,
    host: `${id}.example`,
    port: 443,
    binary: '/usr/bin/curl',
    firstSeen,
    lastSeen: firstSeen,
    hits: 1,
    samples: [{ method: 'GET', path: '/' }],
    status: 'pending',
    held: 1,
    reason: 'no rule',
    sandbox: 'local',
    ...over,
  };
}

export const log = (seq: number, over: Partial<LogLine> = {}): LogLine => ({
  seq,
  time: seq,
  level: 'info',
  source: 'agent',
  message: `line ${seq}`,
  ...over,
});

/** A world with these requests (given oldest first; the inbox lists newest first). */
export function world(requests: InboxRequest[] = [], over: Partial<UiWorld> = {}): UiWorld {
  const sorted = [...requests].sort((a, b) => b.firstSeen - a.firstSeen);
  return {
    requests: Object.fromEntries(requests.map((r) => [r.id, r])),
    order: sorted.map((r) => r.id),
    logs: [],
    sandboxes: [{ name: 'local', phase: 'Ready', policyRevision: 1, pending: requests.length, createdAt: 0 }],
    revision: { number: 1, sha256: 'abc', time: 0, cause: 'baseline', detail: 'start' },
    connected: true,
    epoch: 1,
    queries: {},
    gateways: [{ info: { name: 'embedded', mode: 'standalone', endpoint: 'proxy x', version: 't' }, connection: { status: 'connected' } }],
    activeGateway: 'embedded',
    capabilities: CORE_CAPABILITIES,
    ...over,
  };
}

const NO_FLAGS: TerminalKey = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
};

/** A terminal input as Ink reports it: the text, plus flags for a special key. */
export const input = (text: string, flags: Partial<TerminalKey> = {}) => ({ text, flags: { ...NO_FLAGS, ...flags } });
export const ENTER = input('', { return: true });
export const ESC = input('', { escape: true, meta: true });
export const TAB = input('', { tab: true });
export const SHIFT_TAB = input('', { tab: true, shift: true });
export const DOWN = input('', { downArrow: true });
export const ctrl = (letter: string) => input(letter, { ctrl: true });

/** Drives the reducer: each terminal input becomes its keys, reduced in order; effects are collected. */
export class Driver {
  effects: Effect[] = [];

  world: UiWorld;

  constructor(
    public state: ConsoleUiState = initialUiState({ rows: 30, columns: 120 }),
    initial?: UiWorld,
  ) {
    this.world = initial ?? world();
    this.dispatch({ type: 'data.changed' });
  }

  dispatch(action: UiAction): this {
    const t = reduce(this.state, action, this.world);
    this.state = t.state;
    this.effects.push(...t.effects);
    return this;
  }

  /** Strings are typed text (one terminal input each, several characters arriving together); objects are special keys. */
  press(...inputs: Array<string | ReturnType<typeof input>>): this {
    for (const i of inputs) {
      const { text, flags } = typeof i === 'string' ? input(i) : i;
      for (const key of keysOf(text, flags)) this.dispatch({ type: 'key', key });
    }
    return this;
  }

  /** The world changed (a store flush). */
  change(next: UiWorld): this {
    this.world = next;
    return this.dispatch({ type: 'data.changed' });
  }

  take(): Effect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }
}
