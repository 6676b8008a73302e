// `npm run bench`: every benchmark, numbers and same-run baselines printed as tables.
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
const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n== bench/${name} ==\n`);
  process.stdout.write(await run());
}
