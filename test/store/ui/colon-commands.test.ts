// The `:` commands come from one list: completion and the unknown-command error read it.
import { describe, expect, it } from 'vitest';
import { COLON_NAMES, colonByWord, completeColon, unknownColon } from '../../../src/store/ui/colon-commands.js';

const sources = {
  requests: ['r1', 'r2', 'sb/9'],
  presets: ['pypi', 'npm', 'pypi-mirror'],
  sources: ['all', 'agent', 'proxy'],
  providers: ['github', 'nvidia'],
};

describe(': commands', () => {
  it('names and aliases resolve', () => {
    expect(colonByWord('quit')).toBe('q');
    expect(colonByWord('diff')).toBe('rev');
    expect(colonByWord('nope')).toBeUndefined();
  });

  it('the unknown-command error lists every real command', () => {
    const text = unknownColon('frobnicate');
    for (const name of COLON_NAMES) expect(text).toContain(`:${name}`);
  });

  it('completes command names, then each argument from its own source', () => {
    expect(completeColon('pr', sources)).toEqual({ value: 'preset ' });
    expect(completeColon('preset a', sources)).toEqual({ value: 'preset add ' });
    expect(completeColon('preset add py', sources)).toEqual({ value: 'preset add pypi', candidates: ['pypi', 'pypi-mirror'] });
    expect(completeColon('source pr', sources)).toEqual({ value: 'source proxy ' });
    expect(completeColon('tier b', sources)).toEqual({ value: 'tier balanced ' });
    expect(completeColon('rev 1', sources)).toEqual({ value: 'rev 1' }); // nothing to complete: unchanged
  });
});
