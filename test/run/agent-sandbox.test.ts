// The helper and the pieces `run` builds around it: the pid registered is the agent's own and the agent
// waits for the go; descriptors opened before the sandbox do not follow the agent (Landlock does not
// apply to them); the helper refuses what it cannot apply; the environment rule; the report's wording.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentEnvironment, scrubEnvironment } from '../../src/core/isolation/agent-environment.js';
import type { AgentKit } from '../../src/core/isolation/agent-kit.js';
import { SandboxError, type SandboxStatus, startSandboxedAgent } from '../../src/core/isolation/agent-sandbox.js';
import { ancestorsOf, leadsToHidden, ownCodePaths } from '../../src/core/isolation/hidden-paths.js';
import { describeSandbox } from '../../src/core/isolation/sandbox-report.js';
import { isRoot, landlockAbi, SANDBOX_BINARY, sandboxBuilt, waitFor } from './run-helpers.js';

const withLandlock = sandboxBuilt() && landlockAbi() >= 1;

describe.skipIf(!sandboxBuilt())('native/agent-sandbox', () => {
  it('the pid run registers is the agent itself, and the agent does not run before the go', async () => {
    const sleep = realpathSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim());
    const agent = await startSandboxedAgent(SANDBOX_BINARY, { hide: [], connectPorts: [], dropCaps: false }, ['sleep', '30'], {
      env: process.env,
    });
    try {
      // Still the helper, blocked on the go: not one instruction of the agent has run.
      expect(readlinkSync(`/proc/${agent.pid}/exe`)).toBe(SANDBOX_BINARY);
      agent.go();
      // The same pid becomes the agent: no wrapper between the pid registered with the core and the agent.
      await waitFor(() => (readlinkSync(`/proc/${agent.pid}/exe`) === sleep ? true : undefined), 'the exec');
    } finally {
      agent.child.kill('SIGKILL');
    }
  });

  it.skipIf(!withLandlock)('descriptors opened before the sandbox do not follow the agent into it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-fd-'));
    writeFileSync(join(dir, 'control.token'), 'secret-token\n');
    const fd = openSync(join(dir, 'control.token'), 'r');
    const r = spawnSync(SANDBOX_BINARY, ['--hide', dir, '--', 'sh', '-c', 'cat <&5; echo "rc=$?"'], {
      stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', fd],
      encoding: 'utf8',
    });
    expect(r.stdout).not.toContain('secret-token');
    expect(r.stdout).toContain('rc=');
    expect(r.stdout).not.toContain('rc=0');
  });

  it('refuses, with a reason, what it cannot apply', async () => {
    await expect(
      startSandboxedAgent(SANDBOX_BINARY, { hide: ['/no/such/path/here'], connectPorts: [], dropCaps: false }, ['true'], {
        env: process.env,
      }),
    ).rejects.toThrow(SandboxError);
    await expect(
      startSandboxedAgent(SANDBOX_BINARY, { hide: ['/no/such/path/here'], connectPorts: [], dropCaps: false }, ['true'], {
        env: process.env,
      }),
    ).rejects.toThrow(/could not apply its rules: \/no\/such\/path\/here: No such file or directory/);
    if (!isRoot) {
      await expect(
        startSandboxedAgent(SANDBOX_BINARY, { hide: [], connectPorts: [], dropCaps: false, user: 'nobody' }, ['true'], {
          env: process.env,
        }),
      ).rejects.toThrow(/--user needs root/);
    }
    const usage = spawnSync(SANDBOX_BINARY, ['--connect-port', '70000', '--', 'true'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--connect-port expects 1-65535');
  });

  it('a missing agent command exits 127 with the reason, like a shell', () => {
    const r = spawnSync(SANDBOX_BINARY, ['--', 'no-such-agent-binary'], { encoding: 'utf8' });
    expect(r.status).toBe(127);
    expect(r.stderr).toContain('openshell-term: cannot run no-such-agent-binary: No such file or directory');
  });
});

describe('the agent environment', () => {
  const token = 'f'.repeat(64);
  const kit: AgentKit = {
    dir: '/k',
    caBundle: '/k/ca-bundle.pem',
    nodePreload: '/k dir/node-proxy.cjs',
    wgetrc: '/k/wgetrc',
    aptConfig: '/k/apt.conf',
    remove: async () => {},
  };

  it('drops OPENSHELL_* in any case and any value carrying a secret; keeps the rest', () => {
    const { env, dropped } = scrubEnvironment(
      { OPENSHELL_TOKEN: 'x', Openshell_Workspace: 'w', MY_TOKEN: `Bearer ${token}`, ANTHROPIC_API_KEY: 'k', PATH: '/bin', SHORT: 'abc' },
      [token, 'abc'],
    );
    expect(dropped).toEqual(['MY_TOKEN', 'OPENSHELL_TOKEN', 'Openshell_Workspace']);
    // Secrets shorter than 16 characters are not searched for: they would match innocent values.
    expect(env).toEqual({ ANTHROPIC_API_KEY: 'k', PATH: '/bin', SHORT: 'abc' });
  });

  it('points every runtime at the proxy and the bundle, over what the operator had set', () => {
    const { env } = agentEnvironment({
      base: {
        NO_PROXY: 'internal.example',
        npm_config_ca: 'inline',
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'user.name',
        NODE_OPTIONS: '--max-old-space-size=512',
      },
      proxy: '127.0.0.1:3128',
      secrets: [token],
      kit,
    });
    const url = 'http://127.0.0.1:3128';
    for (const name of [
      'HTTP_PROXY',
      'HTTPS_PROXY',
      'ALL_PROXY',
      'http_proxy',
      'https_proxy',
      'all_proxy',
      'npm_config_proxy',
      'npm_config_https_proxy',
      'PIP_PROXY',
    ])
      expect(env[name], name).toBe(url);
    expect(env.NO_PROXY).toBe('');
    for (const name of [
      'SSL_CERT_FILE',
      'NODE_EXTRA_CA_CERTS',
      'REQUESTS_CA_BUNDLE',
      'CURL_CA_BUNDLE',
      'GIT_SSL_CAINFO',
      'PIP_CERT',
      'npm_config_cafile',
      'AWS_CA_BUNDLE',
    ])
      expect(env[name], name).toBe('/k/ca-bundle.pem');
    expect(env.npm_config_ca).toBeUndefined();
    expect([env.GIT_CONFIG_COUNT, env.GIT_CONFIG_KEY_1, env.GIT_CONFIG_VALUE_1, env.GIT_CONFIG_KEY_2]).toEqual([
      '3',
      'http.proxy',
      url,
      'http.sslCAInfo',
    ]);
    expect(env.NODE_OPTIONS).toBe('--max-old-space-size=512 --require "/k dir/node-proxy.cjs"');
    expect([env.WGETRC, env.APT_CONFIG]).toEqual(['/k/wgetrc', '/k/apt.conf']);
  });
});

describe('hidden paths', () => {
  it('names the directories on the way (which the agent can list but not add to)', () => {
    expect(ancestorsOf(['/root/.local/state/openshell-term', '/root/.config/openshell'])).toEqual([
      '/root',
      '/root/.local',
      '/root/.config',
      '/root/.local/state',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'ost-hidden-'));
    expect(leadsToHidden(tmpdir(), [join(realpathSync(dir), 'state')])).toBe(true);
    expect(leadsToHidden(dir, ['/elsewhere/state'])).toBe(false);
  });

  it("openshell-term's own code includes dependencies linked in from outside it (a linked node_modules, pnpm, npm link)", () => {
    // An agent that can write a dependency the operator's next `openshell-term` loads runs as the operator:
    // the read-only rule must follow the links, not stop at the package directory.
    const base = realpathSync(mkdtempSync(join(tmpdir(), 'ost-own-code-')));
    const root = join(base, 'package');
    const store = join(base, 'store');
    mkdirSync(join(root, 'node_modules', '@scope'), { recursive: true });
    mkdirSync(join(store, 'linked-dep'), { recursive: true });
    mkdirSync(join(store, 'scoped-dep'), { recursive: true });
    mkdirSync(join(root, 'node_modules', 'plain-dep'));
    symlinkSync(join(store, 'linked-dep'), join(root, 'node_modules', 'linked-dep'));
    symlinkSync(join(store, 'scoped-dep'), join(root, 'node_modules', '@scope', 'scoped-dep'));
    expect(ownCodePaths(root).sort()).toEqual([root, join(store, 'linked-dep'), join(store, 'scoped-dep')].sort());
    // A node_modules that is itself a link (a worktree sharing its main checkout's) is followed too.
    const worktree = join(base, 'worktree');
    mkdirSync(worktree);
    symlinkSync(join(root, 'node_modules'), join(worktree, 'node_modules'));
    expect(ownCodePaths(worktree)).toContain(join(root, 'node_modules'));
  });
});

describe('what run says', () => {
  const status = (abi: number, extra: Partial<SandboxStatus> = {}): SandboxStatus => ({
    kernel_abi: 7,
    abi,
    fs: abi >= 1,
    fs_rules: 40,
    tcp: abi >= 4,
    scope_signal: abi >= 6,
    scope_abstract_unix: abi >= 6,
    no_new_privs: true,
    seccomp: true,
    netns: false,
    uid: 1000,
    gid: 1000,
    cap_eff: '0000000000000000',
    cap_prm: '0000000000000000',
    cap_inh: '0000000000000000',
    cap_bnd: '000001ffffffffff',
    cap_amb: '0000000000000000',
    ...extra,
  });
  const spec = { hide: ['/s'], connectPorts: [3128], dropCaps: false };
  const context = { stateDir: '/s', proxyPort: 3128, isolated: false, operatorUid: 0 };

  it('at ABI 7: enforced, with the per-port caveat as the one gap', () => {
    const r = describeSandbox(status(7), spec, context);
    expect(r.notEnforced).toEqual([
      'Landlock TCP rules are per port, not per address: port 3128 on any other host is reachable, and UDP (DNS, QUIC) is not covered; use --isolate to confine the agent to the proxy',
    ]);
    // The same agent as the operator's own uid: named.
    expect(describeSandbox(status(7), spec, { ...context, operatorUid: 1000 }).notEnforced[1]).toMatch(/^the agent runs as your user/);
    expect(r.enforced.join('; ')).toContain('/s cannot be read or written');
  });

  it('a root agent that kept capabilities is named', () => {
    const r = describeSandbox(status(7, { uid: 0, cap_eff: '000001ffffffffff' }), spec, context);
    expect(r.notEnforced).toContain('the agent runs as root WITH capabilities');
  });
});
