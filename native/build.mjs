// Builds the optional native addon (netlink sock_diag for binary identity) with the node-gyp that npm
// provides to its scripts. A machine without a compiler or Node's headers keeps working: binary identity
// then reads /proc/net/tcp, which is slower but equally right.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.platform !== 'linux') process.exit(0);
// Node's own headers when the distribution ships them (no download); npm's nodedir setting wins.
const nodedir = !process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
const r = spawnSync('node-gyp', ['rebuild', '--loglevel=error', ...nodedir], { cwd: new URL('./sock-diag/', import.meta.url), stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) {
  process.stderr.write('openshell-term: the sock_diag addon did not build; binary identity will read /proc/net/tcp instead (slower)\n');
}
