// Terminal input → keys: everything that arrived together counts, in order; specs and labels round-trip.
import { describe, expect, it } from 'vitest';
import { keyLabel, keyMatches, keysOf, parseKeySpec, textOf } from '../../../src/store/ui/keys.js';
import { ctrl, ENTER, ESC, input, SHIFT_TAB } from './fixtures.js';

const keys = (i: ReturnType<typeof input>) => keysOf(i.text, i.flags);

describe('keysOf', () => {
  it('splits a burst into keys, with control characters as the keys they are', () => {
    expect(keys(input('jj'))).toEqual([{ name: 'j' }, { name: 'j' }]);
    expect(keys(input(':q\r'))).toEqual([{ name: ':' }, { name: 'q' }, { name: 'enter' }]);
    expect(keys(input('\u007f\u007f\b'))).toEqual([{ name: 'backspace' }, { name: 'backspace' }, { name: 'backspace' }]);
    expect(keys(input('a b'))).toEqual([{ name: 'a' }, { name: 'space' }, { name: 'b' }]);
    expect(keys(input('x\u0015'))).toEqual([{ name: 'x' }, { name: 'u', ctrl: true }]);
  });

  it('takes Ink’s flags for special keys, Ctrl and Meta', () => {
    expect(keys(ENTER)).toEqual([{ name: 'enter' }]);
    expect(keys(ESC)).toEqual([{ name: 'esc' }]); // Ink sets meta with escape: it is still just Esc
    expect(keys(SHIFT_TAB)).toEqual([{ name: 'tab', shift: true }]);
    expect(keys(ctrl('d'))).toEqual([{ name: 'd', ctrl: true }]);
    expect(keys(input('', { delete: true }))).toEqual([{ name: 'backspace' }]);
    expect(keys(input('j', { meta: true }))).toEqual([{ name: 'j', meta: true }]);
  });

  it('drops other control characters (they are not keys and must not reach a field)', () => {
    expect(keys(input('\u0000\u001c\u009b'))).toEqual([]);
  });
});

describe('key specs', () => {
  it('match on name and modifiers; a printable character ignores shift (it already says it)', () => {
    expect(keyMatches('G', { name: 'G', shift: true })).toBe(true);
    expect(keyMatches('S-tab', { name: 'tab' })).toBe(false);
    expect(keyMatches('C-u', { name: 'u', ctrl: true })).toBe(true);
    expect(keyMatches('u', { name: 'u', ctrl: true })).toBe(false);
  });

  it('refuse what they cannot mean', () => {
    expect(() => parseKeySpec('ab')).toThrow(/bad key spec/);
    expect(() => parseKeySpec('S-a')).toThrow(/shifted character/);
  });

  it('labels read as people write keys', () => {
    expect(['enter', 'esc', 'S-tab', 'C-w', 'pagedown', 'up', 'space', '?'].map(keyLabel)).toEqual([
      'Enter',
      'Esc',
      'S-Tab',
      'C-w',
      'PgDn',
      '↑',
      'Space',
      '?',
    ]);
    expect(textOf({ name: 'space' })).toBe(' ');
    expect(textOf({ name: 'enter' })).toBeUndefined();
    expect(textOf({ name: 'w', ctrl: true })).toBeUndefined();
  });
});
