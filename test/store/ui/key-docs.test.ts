// The README's key table is generated from the command registry; this fails while it is stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYS_BEGIN, KEYS_END, keyTableMarkdown, spliceKeyTable } from '../../../src/store/ui/key-docs.js';
import { COLON_NAMES } from '../../../src/store/ui/colon-commands.js';

const README = join(import.meta.dirname, '..', '..', '..', 'README.md');

describe('README key table', () => {
  it('is what the registry generates (fix: node --import tsx scripts/readme-keys.ts)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain(KEYS_BEGIN);
    expect(readme).toContain(KEYS_END);
    expect(spliceKeyTable(readme)).toBe(readme);
  });

  it('has a row per command and per : command', () => {
    const table = keyTableMarkdown();
    for (const name of COLON_NAMES) expect(table).toContain(`\`:${name}`);
    expect(table).toContain('Resume following new log lines');
    expect(table).toMatch(/\| `f` \| logs \|/);
  });
});
