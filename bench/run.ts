// `npm run bench`: every benchmark, numbers and same-run baselines printed as tables.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: the launcher's helper is plain JavaScript without declarations
import { buildIsFresh } from '../bin/build-state.js';
import { benchPolicy } from './policy/index.js';
import { benchProxy } from './proxy/index.js';
import { benchIdentity } from './identity.js';
import { benchCoreLatency } from './core/latency.js';
import { benchCoreFlood } from './core/flood.js';
import { benchUi } from './ui/storm.js';
import { benchGateway } from './gateway.js';

const suites: Record<string, () => Promise<string>> = {
  policy: benchPolicy,
  core: async () => `${await benchCoreLatency()}\n${await benchCoreFlood()}`,
  ui: benchUi,
  proxy: benchProxy,
  identity: benchIdentity,
  gateway: benchGateway,
};
// Benchmarks run the product as users run it: the compiled build. A checkout whose dist/ is older than its
// sources would run through tsx instead (slower start, another process's worth of memory), so build first.
if (!buildIsFresh(fileURLToPath(new URL('..', import.meta.url)))) {
  process.stdout.write('dist/ is older than the sources: building it first (npm run build)\n');
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}

const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n== bench/${name} ==\n`);
  process.stdout.write(await run());
}
