// Builds the optional native parts at install time (the package's `install` script; `npm run build:native`
// in a checkout) with the node-gyp npm provides to its scripts. A machine without a compiler or Node's
// headers keeps working, more slowly or with less: each part that cannot build prints one line saying
// what is slower or absent, and the install still succeeds. npm hides an install script's output unless
// it fails (or --foreground-scripts), so the lines also go to native/build-report.json, and the core
// logs them when it starts (loadNativeBuildProblems).
//
// One entry per target. A target whose directory is not there (not shipped yet) is skipped silently.
// `build` defaults to `node-gyp rebuild` in the target's directory (an N-API addon with a binding.gyp).
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @type {{ dir: string, what: string, without: string, build?: (nodeGypFlags: string[]) => [string, string[]] }[]} */
const TARGETS = [
  {
    dir: 'sock-diag',
    what: 'binary identity over netlink sock_diag',
    without: 'the core reads /proc from JavaScript to tell which program made each connection (slower per connection)',
  },
  {
    dir: 'relay',
    what: 'the splice(2) tunnel relay',
    without: 'CONNECT tunnels are piped through Node streams (more CPU per MiB)',
  },
  {
    dir: 'agent-sandbox',
    what: "the executable `run` starts agents in (Landlock, seccomp, uid, capabilities) and the core's non-dumpable guard",
    without:
      '`run` cannot apply kernel separation to agents (it says so at start), `run --isolate` refuses, and the core stays ptrace-able by your user',
  },
];

if (process.platform !== 'linux') {
  console.error(
    `openshell-term: native parts are Linux-only; on ${process.platform} they are skipped (${TARGETS.map((t) => t.dir).join(', ')})`,
  );
  process.exit(0);
}
// Node's own headers when the distribution ships them (no download); npm's nodedir setting wins.
const nodeGypFlags = !process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
const nodeGyp = (flags) => ['node-gyp', ['rebuild', '--loglevel=error', ...flags]];

const root = fileURLToPath(new URL('..', import.meta.url));
const problems = [];
for (const target of TARGETS) {
  const dir = fileURLToPath(new URL(`./${target.dir}/`, import.meta.url));
  if (!existsSync(dir)) continue;
  const [command, args] = (target.build ?? nodeGyp)(nodeGypFlags);
  const result = spawnSync(command, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status === 0) continue;
  // The compiler's own output only when asked: the one line is what an installer needs to read.
  if (process.env.OPENSHELL_TERM_NATIVE_VERBOSE === '1') process.stderr.write(result.stderr ?? '');
  const why = result.error ? `${command} ${result.error.code === 'ENOENT' ? 'not found' : result.error.message}` : 'build failed';
  const line = `native ${target.dir} (${target.what}) not built (${why}); without it ${target.without}. To see why: OPENSHELL_TERM_NATIVE_VERBOSE=1 npm --prefix ${root} run build:native`;
  problems.push({ dir: target.dir, line });
  console.error(`openshell-term: ${line}`);
}
// Replaced whole (temp + rename): the core reads it at start.
const report = fileURLToPath(new URL('./build-report.json', import.meta.url));
writeFileSync(`${report}.tmp`, `${JSON.stringify({ version: 1, problems }, null, 2)}\n`);
renameSync(`${report}.tmp`, report);
