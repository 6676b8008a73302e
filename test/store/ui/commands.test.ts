// The command registry is the single source of keys: every binding parses, none is bound twice where it
// would be ambiguous, every mode has a way out, and labels are generated (no hand-written label drifts).
import { describe, expect, it } from 'vitest';
import { COMMAND_IDS, COMMANDS, commandFor, labelsOf, liveIn, specOf } from '../../../src/store/ui/commands.js';
import { parseKeySpec } from '../../../src/store/ui/keys.js';
import { type ConsoleUiState, initialUiState, MODES, SCREENS } from '../../../src/store/ui/ui-state.js';

const stateFor = (screen: ConsoleUiState['screen'], promoteFocus: 0 | 2 = 0): ConsoleUiState => ({
  ...initialUiState(),
  screen,
  prompt: { kind: 'command', value: '' },
  promote: { requestId: 'r1', form: { name: 'x', access: 'read-only', anyBinary: false }, focus: promoteFocus },
});

describe('the command registry', () => {
  it('every command has a binding in some mode, and every binding parses', () => {
    for (const id of COMMAND_IDS) {
      const modes = Object.entries(specOf(id).keys);
      expect(modes.length, id).toBeGreaterThan(0);
      for (const [, specs] of modes) for (const spec of specs ?? []) expect(() => parseKeySpec(spec)).not.toThrow();
    }
  });

  it('no key runs two commands in the same mode, screen and field', () => {
    for (const mode of MODES)
      for (const screen of SCREENS)
        for (const focus of [0, 2] as const) {
          const state = stateFor(screen, focus);
          const seen = new Map<string, string>();
          for (const id of COMMAND_IDS) {
            for (const spec of specOf(id).keys[mode] ?? []) {
              const key = parseKeySpec(spec);
              if (!liveIn(id, mode, state)) continue; // this command is not live here (screen, field, tab)
              const owner = seen.get(JSON.stringify(key));
              expect(owner === undefined || owner === id, `${spec} runs ${owner} and ${id} in ${mode} on ${screen}`).toBe(true);
              seen.set(JSON.stringify(key), id);
            }
          }
        }
  });

  it('every mode other than normal has a key that closes it', () => {
    for (const mode of MODES.filter((m) => m !== 'normal'))
      expect(COMMANDS.cancel.keys[mode as keyof typeof COMMANDS.cancel.keys], mode).toBeDefined();
  });

  it('labels are generated from the bindings: follow is "f", bottom is "G", Ctrl keys read C-x', () => {
    expect(labelsOf('follow', 'normal')).toEqual(['f']);
    expect(labelsOf('bottom', 'normal')).toEqual(['G', 'End']);
    expect(labelsOf('pageDown', 'normal')).toEqual(['PgDn', 'C-d']);
    expect(labelsOf('prevScreen', 'normal')).toEqual(['S-Tab']);
  });

  it('a key resolves per mode and screen: a approves on the inbox only, Shift-Tab is not Tab, C-u differs by mode', () => {
    const inbox = { ...initialUiState(), screen: 'inbox' as const };
    expect(commandFor({ name: 'a' }, 'normal', inbox)).toBe('approve');
    expect(commandFor({ name: 'a' }, 'normal', { ...inbox, screen: 'logs' })).toBeUndefined();
    expect(commandFor({ name: 'a', ctrl: true }, 'normal', inbox)).toBeUndefined();
    expect(commandFor({ name: 'tab' }, 'normal', inbox)).toBe('nextScreen');
    expect(commandFor({ name: 'tab', shift: true }, 'normal', inbox)).toBe('prevScreen');
    expect(commandFor({ name: 'u', ctrl: true }, 'normal', inbox)).toBe('pageUp');
    expect(commandFor({ name: 'u', ctrl: true }, 'prompt', inbox)).toBe('clearField');
    expect(commandFor({ name: 'u' }, 'prompt', inbox)).toBeUndefined(); // typed into the field
  });
});
