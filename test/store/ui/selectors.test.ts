// Derived views: what the screen wants fetched, what the footer and help offer.
import { describe, expect, it } from 'vitest';
import { selectHelp, selectWantedQueries } from '../../../src/store/ui/selectors.js';
import { initialUiState } from '../../../src/store/ui/ui-state.js';
import { GATEWAY_CAPABILITIES, world } from './fixtures.js';

describe('remote data the screen asks for', () => {
  it('the sandbox screen asks for its policy and revisions again when its revision changes', () => {
    const state = { ...initialUiState(), screen: 'sandbox' as const };
    const before = selectWantedQueries(state, world()).map((q) => q.key);
    expect(before).toEqual(['policy|local@1', 'revisions|local@1']);
    const after = selectWantedQueries(
      state,
      world([], { sandboxes: [{ name: 'local', phase: 'Ready', policyRevision: 2, pending: 0, createdAt: 0 }] }),
    );
    expect(after.map((q) => q.key)).toEqual(['policy|local@2', 'revisions|local@2']);
    expect(selectWantedQueries({ ...state, compareRev: 1 }, world()).map((q) => q.kind)).toContain('comparison');
  });

  it('providers only where the gateway has them; nothing while disconnected', () => {
    const dash = { ...initialUiState(), screen: 'dashboard' as const };
    expect(selectWantedQueries(dash, world())).toEqual([]);
    expect(selectWantedQueries(dash, world([], { capabilities: GATEWAY_CAPABILITIES })).map((q) => q.kind)).toEqual(['providers']);
    expect(selectWantedQueries(dash, world([], { capabilities: GATEWAY_CAPABILITIES, connected: false }))).toEqual([]);
  });

  it('the presets (for built-in names and completion) while the promote form or the command prompt is open', () => {
    expect(selectWantedQueries({ ...initialUiState(), prompt: { kind: 'command', value: '' } }, world()).map((q) => q.kind)).toEqual([
      'presets',
    ]);
  });
});

describe('help', () => {
  it('lists what works on the screen and on this gateway, and the : commands', () => {
    const core = selectHelp('inbox', world().capabilities);
    expect(core.title).toBe('Keys — inbox');
    expect(core.entries.map((e) => e.description)).toContain('Cycle the approval lifetime: session, once, 10m');
    expect(core.commands).toContain(':tier restricted|balanced|open');
    const gateway = selectHelp('inbox', GATEWAY_CAPABILITIES);
    expect(gateway.entries.map((e) => e.description)).not.toContain('Cycle the approval lifetime: session, once, 10m');
    expect(selectHelp('logs', GATEWAY_CAPABILITIES).entries.map((e) => e.keys)).toContain('f');
  });
});
