// Builds the optional native addons with the node-gyp that npm provides to its scripts. A machine without a
// compiler or Node's headers keeps working, more slowly:
//   sock-diag  binary identity (netlink sock_diag, fd search); without it, /proc is read from JavaScript
//   relay      splice(2) relay for plain CONNECT tunnels; without it, tunnels are piped through Node streams
//   agent-sandbox  the executable `run` starts agents in (Landlock, seccomp, uid, capabilities) and the core's
//              non-dumpable guard; without it `run` says what it cannot enforce and --isolate refuses
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.platform !== 'linux') process.exit(0);
// Node's own headers when the distribution ships them (no download); npm's nodedir setting wins.
const nodedir = !process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
const ADDONS = {
  'sock-diag': 'binary identity will read /proc from JavaScript instead (slower)',
  relay: 'CONNECT tunnels will be piped through Node streams instead (slower)',
  'agent-sandbox':
    '`run` cannot apply kernel separation to agents (it says so at start), `run --isolate` refuses, and the core stays ptrace-able by your user',
};
for (const [dir, fallback] of Object.entries(ADDONS)) {
  const r = spawnSync('node-gyp', ['rebuild', '--loglevel=error', ...nodedir], {
    cwd: new URL(`./${dir}/`, import.meta.url),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) process.stderr.write(`openshell-term: the ${dir} addon did not build; ${fallback}\n`);
}
