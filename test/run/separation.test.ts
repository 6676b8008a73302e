// Issue 11, finding 1: an agent under `run` could read the control token and approve itself, write a
// preset, call the feed and gRPC, signal and ptrace the core, and it inherited OPENSHELL_TOKEN. Each attempt
// here is made by a real hostile agent (fixtures/hostile-agent.mjs, curl, gdb, tmux, python) under the real
// `run`, against a real core, as root (as operators here run it). The kernel must refuse every one.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startUpstream } from '../helpers/upstream.js';
import { attempts, type CoreChild, cli, HOSTILE_AGENT, isRoot, landlockAbi, sandboxBuilt, startCore } from './run-helpers.js';

const enforcing = isRoot && sandboxBuilt() && landlockAbi() >= 6;
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dir: string;
let core: CoreChild;
let token: string;

beforeAll(async () => {
  if (!enforcing) return;
  upstream = await startUpstream('upstream body');
  dir = mkdtempSync(join(tmpdir(), 'ost-sep-'));
  core = await startCore(dir, [
    '--grpc-listen',
    '127.0.0.1:0',
    '--resolve',
    'victim.test:127.0.0.1',
    '--allow-loopback',
    '--hold-timeout',
    '4',
  ]);
  token = readFileSync(join(dir, 'control.token'), 'utf8').trim();
});

afterAll(async () => {
  await core?.stop();
  await upstream?.close();
});

const run = (agent: string[], env: NodeJS.ProcessEnv = {}) => cli(['run', '--state-dir', dir, '--', ...agent], { env });
const hostile = (...tries: string[]) => run([process.execPath, HOSTILE_AGENT, ...tries]);

describe.skipIf(!enforcing)('an agent under run (root, Landlock ≥ 6) cannot reach around the operator', () => {
  it('cannot read the control token, the CA key, the audit log or core.json, nor write a preset', async () => {
    const tries = ['control.token', 'ca.key', 'audit.jsonl', 'core.json'].map((f) => `read:${join(dir, f)}`);
    const preset = join(dir, 'presets', 'evil.yaml');
    const r = await hostile(...tries, `write:${preset}`, `write:${join(dir, 'evil.yaml')}`);
    const seen = attempts(r.stdout);
    for (const attempt of [...tries, `write:${preset}`, `write:${join(dir, 'evil.yaml')}`]) {
      expect(seen[attempt], attempt).toMatchObject({ ok: false, error: 'EACCES' });
    }
    expect(existsSync(preset)).toBe(false);
    expect(r.stderr).toContain(`${dir} cannot be read or written`);
  });

  it("cannot read the OpenShell CLI's gateway credentials (mTLS key, OIDC token)", async () => {
    const config = mkdtempSync(join(tmpdir(), 'ost-xdg-'));
    const gateway = join(config, 'openshell', 'gateways', 'prod');
    mkdirSync(join(gateway, 'mtls'), { recursive: true });
    writeFileSync(join(gateway, 'mtls', 'tls.key'), 'operator client key\n');
    writeFileSync(join(gateway, 'oidc_token.json'), '{"access_token":"operator"}\n');
    const tries = [`read:${join(gateway, 'mtls', 'tls.key')}`, `read:${join(gateway, 'oidc_token.json')}`];
    const r = await cli(['run', '--state-dir', dir, '--', process.execPath, HOSTILE_AGENT, ...tries], { env: { XDG_CONFIG_HOME: config } });
    const seen = attempts(r.stdout);
    for (const attempt of tries) expect(seen[attempt], attempt).toMatchObject({ ok: false, error: 'EACCES' });
    expect(r.stderr).toContain(`also hidden: ${join(realpathSync(config), 'openshell')}`);
  });

  it("cannot rewrite openshell-term's own code, which the operator's next command would run", async () => {
    const root = join(BIN, '..', '..');
    // A file of ours the agent tries to change, and a new module it tries to plant (both removed afterwards).
    const existing = join(root, 'node_modules', `.ost-probe-${process.pid}.js`);
    const planted = join(root, 'dist', `ost-planted-${process.pid}.js`);
    writeFileSync(existing, '// probe\n');
    try {
      const r = await hostile(`write:${existing}`, `write:${planted}`);
      const seen = attempts(r.stdout);
      expect(seen[`write:${existing}`]).toMatchObject({ ok: false, error: 'EACCES' });
      expect(seen[`write:${planted}`]).toMatchObject({ ok: false, error: 'EACCES' });
      expect(readFileSync(existing, 'utf8')).toBe('// probe\n');
      expect(r.stderr).toContain(`read-only: ${realpathSync(root)}`);
    } finally {
      rmSync(existing, { force: true });
      rmSync(planted, { force: true });
    }
  });

  it('cannot approve its own held request with `openshell-term approve-all`', async () => {
    const url = `http://victim.test:${upstream.port}/self`;
    // The agent holds a request, then tries approve-all until the request is answered.
    const script = [
      `curl -s -m 20 ${url} > "$TMPDIR/curl.out" & CURL=$!`,
      `while kill -0 $CURL 2>/dev/null; do "${process.execPath}" "${BIN}" approve-all --state-dir "${dir}" >/dev/null 2>&1 && echo APPROVED; sleep 0.2; done`,
      'echo "curl: $(cat "$TMPDIR/curl.out")"',
    ].join('\n');
    const r = await run(['sh', '-c', script]);
    expect(r.stdout).not.toContain('APPROVED');
    expect(r.stdout).not.toContain('upstream body');
    expect(r.stdout).toContain('egress_denied');
    const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    expect(audit).not.toMatch(/"approve"/);
  }, 60_000);

  it('cannot connect to the feed, the gRPC port or an upstream directly; only to the proxy', async () => {
    const r = await hostile(
      `connect:127.0.0.1:${core.feedPort}`,
      `connect:127.0.0.1:${core.grpcPort}`,
      `connect:127.0.0.1:${upstream.port}`,
      `connect:127.0.0.1:${core.proxyPort}`,
    );
    const seen = attempts(r.stdout);
    expect(seen[`connect:127.0.0.1:${core.feedPort}`]).toMatchObject({ ok: false, error: 'EACCES' });
    expect(seen[`connect:127.0.0.1:${core.grpcPort}`]).toMatchObject({ ok: false, error: 'EACCES' });
    expect(seen[`connect:127.0.0.1:${upstream.port}`]).toMatchObject({ ok: false, error: 'EACCES' });
    expect(seen[`connect:127.0.0.1:${core.proxyPort}`]).toMatchObject({ ok: true });
    // A client told to ignore the proxy fails closed rather than going around it.
    const direct = await run(['curl', '-s', '-m', '5', '--noproxy', '*', `http://127.0.0.1:${upstream.port}/direct`]);
    expect(direct.stdout).not.toContain('upstream body');
    expect(direct.code).not.toBe(0);
  });

  it('cannot go around the TCP rule with a protocol Landlock does not count as TCP (MPTCP, SCTP) or another address family', async () => {
    // Landlock's TCP rules cover IPPROTO_TCP sockets only (kernel ≥ 6.14 leaves MPTCP, SCTP and SMC out), and
    // MPTCP falls back to plain TCP against any server: without the seccomp filter this reached the upstream.
    const script = [
      'import socket, sys',
      `port = ${upstream.port}`,
      'def attempt(name, make, addr):',
      '  try:',
      '    s = make()',
      '  except OSError as e:',
      "    return print(name, 'no socket', e.errno)",
      '  try:',
      '    s.settimeout(3); s.connect(addr)',
      "    s.sendall(b'GET /mptcp HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')",
      "    print(name, 'OPEN', s.recv(4096).decode('latin1').replace('\\r\\n', ' '))",
      '  except OSError as e:',
      "    print(name, 'connect failed', e.errno)",
      "attempt('mptcp', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262), ('127.0.0.1', port))",
      "attempt('mptcp6', lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM, 262), ('::ffff:127.0.0.1', port))",
      "attempt('sctp', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132), ('127.0.0.1', port))",
      "attempt('seqpacket', lambda: socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, 0), ('127.0.0.1', port))",
      "attempt('vsock', lambda: socket.socket(40, socket.SOCK_STREAM, 0), (2, port))",
      "attempt('smc', lambda: socket.socket(43, socket.SOCK_STREAM, 0), ('127.0.0.1', port))",
    ].join('\n');
    const r = await run([PYTHON, '-c', script]);
    expect(r.stdout).not.toContain('upstream body');
    expect(r.stdout).not.toContain('OPEN');
    // Refused when the socket is made, with the errno a client falls back to plain TCP on (EPROTONOSUPPORT)
    // or that says the family is not there (EAFNOSUPPORT): nothing of theirs ever reaches a connect().
    for (const name of ['mptcp', 'mptcp6', 'sctp', 'seqpacket']) expect(r.stdout).toMatch(new RegExp(`^${name} no socket 93$`, 'm'));
    for (const name of ['vsock', 'smc']) expect(r.stdout).toMatch(new RegExp(`^${name} no socket 97$`, 'm'));
    // The proxy still works for the same agent.
    const proxied = await run(['curl', '-s', '-m', '10', `http://victim.test:${upstream.port}/through-the-proxy`]);
    expect(proxied.stdout).toMatch(/egress_denied|upstream body/);
  });

  it('cannot signal the core, ptrace it or read its memory and environment', async () => {
    const pid = core.pid;
    const r = await hostile(`kill:${pid}:0`, `kill:${pid}:SIGTERM`, `mem:${pid}`, `environ:${pid}`);
    const seen = attempts(r.stdout);
    expect(seen[`kill:${pid}:0`]).toMatchObject({ ok: false, error: 'EPERM' });
    expect(seen[`kill:${pid}:SIGTERM`]).toMatchObject({ ok: false, error: 'EPERM' });
    expect(seen[`mem:${pid}`]).toMatchObject({ ok: false, error: 'EACCES' });
    expect(seen[`environ:${pid}`]).toMatchObject({ ok: false, error: 'EACCES' });
    expect(core.child.exitCode).toBeNull();
  });

  it.skipIf(!have('gdb'))('cannot attach a debugger to the core', async () => {
    const r = await run(['gdb', '-p', String(core.pid), '-batch', '-ex', 'info registers rip']);
    expect(`${r.stdout}${r.stderr}`).toMatch(/ptrace: Operation not permitted|Could not attach/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/^rip\s/m);
    expect(core.child.exitCode).toBeNull();
  });

  it('inherits no operator credential: OPENSHELL_* and anything carrying the control token are dropped, the rest kept', async () => {
    const env = {
      OPENSHELL_TOKEN: 'gateway-bearer-token-0123456789',
      OPENSHELL_GATEWAY: 'prod',
      openshell_gateway_endpoint: 'https://gw.example:8080',
      OPENSHELL_TERM_THEME: 'dark',
      COPIED_CONTROL_TOKEN: `Bearer ${token}`,
      ANTHROPIC_API_KEY: 'the-agents-own-key',
    };
    const r = await run([process.execPath, HOSTILE_AGENT, `env:${token}`], env);
    expect(attempts(r.stdout)[`env:${token}`]).toMatchObject({ ok: false, detail: [] });
    const kept = await run(['sh', '-c', 'echo "$ANTHROPIC_API_KEY"'], env);
    expect(kept.stdout.trim()).toBe('the-agents-own-key');
    expect(r.stderr).toContain(
      'not passed to the agent (operator credentials): COPIED_CONTROL_TOKEN, OPENSHELL_GATEWAY, OPENSHELL_TERM_THEME, OPENSHELL_TOKEN, openshell_gateway_endpoint',
    );
  });

  it('cannot reach a UNIX socket of the operator (tmux, where the console may run) nor push keystrokes (TIOCSTI)', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ost-unix-'));
    const path = join(scratch, 'operator.sock');
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const r = await hostile(`unix:${path}`);
      expect(attempts(r.stdout)[`unix:${path}`]).toMatchObject({ ok: false, error: 'EACCES' });
      const tiocsti = await run([
        PYTHON,
        '-c',
        "import pty,fcntl,termios\nm,s=pty.openpty()\ntry:\n  fcntl.ioctl(s, termios.TIOCSTI, b'x'); print('injected')\nexcept OSError as e: print('refused', e.errno)",
      ]);
      expect(tiocsti.stdout.trim()).toBe('refused 1');
    } finally {
      server.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it.skipIf(!have('tmux'))("cannot drive the operator's tmux (the walkthrough's console pane) with send-keys", async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'ost-tmux-')), 'tmux.sock');
    execFileSync('tmux', ['-S', socket, 'new-session', '-d', '-s', 'console', 'sleep 60']);
    try {
      const r = await run(['tmux', '-S', socket, 'send-keys', '-t', 'console', 'A', 'y']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/error connecting|Permission denied|no server running/);
    } finally {
      spawnSync('tmux', ['-S', socket, 'kill-server']);
    }
  });
});

describe.skipIf(!enforcing)('an agent under run with an in-process core', () => {
  it('cannot signal or ptrace its parent, which is the core', async () => {
    const state = mkdtempSync(join(tmpdir(), 'ost-sep-embedded-'));
    const r = await cli([
      'run',
      '--state-dir',
      state,
      '--',
      'sh',
      '-c',
      `exec "${process.execPath}" "${HOSTILE_AGENT}" kill:$PPID:0 mem:$PPID environ:$PPID read:${state}/control.token`,
    ]);
    const seen = Object.values(attempts(r.stdout));
    expect(seen).toHaveLength(4);
    for (const attempt of seen) expect(attempt, attempt.attempt).toMatchObject({ ok: false });
    expect(seen.map((a) => a.error)).toEqual(['EPERM', 'EACCES', 'EACCES', 'EACCES']);
    expect(r.code).toBe(0);
  });
});

describe.skipIf(enforcing)('separation under run', () => {
  it('is not checked here', () => {
    console.warn(
      `separation tests skipped: ${!isRoot ? 'not root' : !sandboxBuilt() ? 'native/agent-sandbox not built' : `Landlock ABI ${landlockAbi()} < 6`}`,
    );
  });
});
