// Rewrites README.md's key table from the command registry: `node --import tsx scripts/readme-keys.ts`.
// With --check, changes nothing and exits 1 when the README is stale (what the test checks too).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spliceKeyTable } from '../src/store/ui/key-docs.js';

const file = join(import.meta.dirname, '..', 'README.md');
const before = readFileSync(file, 'utf8');
const after = spliceKeyTable(before);
if (process.argv.includes('--check')) {
  if (after !== before) {
    process.stderr.write('README.md key table is stale: run node --import tsx scripts/readme-keys.ts\n');
    process.exit(1);
  }
} else if (after !== before) {
  writeFileSync(file, after);
  process.stdout.write('README.md key table updated\n');
}
