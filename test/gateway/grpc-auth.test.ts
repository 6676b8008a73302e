// The gateway API answers only its operator, loopback included (issue 11: another local user added a
// persistent allow-all-binaries rule through UpdateConfig on 127.0.0.1, and the token check was a
// plain `!==`). A process running as `nobody` — who cannot read the 0600 control token in the 0700
// state dir — calls UpdateConfig on the served core's loopback port: refused, and the policy stays as
// it was. A token of the right length but wrong bytes is refused too. Off the loopback without TLS
// the core says at start that the token would travel in clear.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandalone, type Standalone } from '../../src/gateway/embedded/standalone.js';
import { exposureWarning } from '../../src/gateway/embedded/serve-gateway-api.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { bearerMatches } from '../../src/gateway/grpc/server/server-auth.js';
import { PROJECT_ROOT } from '../../src/project-root.js';

const run = promisify(execFile);
let core: Standalone;
let stateDir: string;
let port: number;

/** UpdateConfig adding a persistent rule for any binary (binaries: []), as the attacker sent it. */
const ATTACK = {
  sandbox: 'local',
  workspace_scope: { workspace: 'default' },
  merge_operations: [
    { add_rule: { rule_name: 'pwn', rule: { name: 'pwn', endpoints: [{ host: 'exfil.example.com', port: 443 }], binaries: [] } } },
  ],
};

const canSetpriv = (() => {
  try {
    return process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'ost-grpc-auth-'));
  core = await startStandalone({ stateDir, proxyListen: '127.0.0.1:0', grpcListen: '127.0.0.1:0' });
  port = Number(new URL(core.grpcUrl!).port);
});

afterAll(async () => {
  await core?.stop();
});

describe('every call authenticates, loopback included', () => {
  it.runIf(canSetpriv)(
    'another local user (nobody) calling UpdateConfig on the loopback port is refused; the policy is unchanged',
    async () => {
      const before = core.core.revision.number;
      // The attacker's own client: grpc-js and our 0.1.x protos (readable by everyone), no token (unreadable to it).
      const script = `
      const grpc = require(${JSON.stringify(join(PROJECT_ROOT, 'node_modules/@grpc/grpc-js'))});
      const loader = require(${JSON.stringify(join(PROJECT_ROOT, 'node_modules/@grpc/proto-loader'))});
      const fs = require('node:fs');
      let token = '';
      try { token = fs.readFileSync(${JSON.stringify(join(stateDir, 'control.token'))}, 'utf8').trim(); } catch (e) { token = 'unreadable:' + e.code; }
      const def = loader.loadSync(['openshell.proto', 'sandbox.proto', 'datamodel.proto'], { keepCase: true, includeDirs: [${JSON.stringify(join(PROJECT_ROOT, 'proto/v1'))}] });
      const OpenShell = grpc.loadPackageDefinition(def).openshell.v1.OpenShell;
      const client = new OpenShell('127.0.0.1:${port}', grpc.credentials.createInsecure());
      const md = new grpc.Metadata();
      if (!token.startsWith('unreadable')) md.set('authorization', 'Bearer ' + token);
      client.UpdateConfig(${JSON.stringify(ATTACK)}, md, (err, res) => {
        console.log(JSON.stringify({ token: token.startsWith('unreadable') ? token : 'read', code: err ? err.code : 0, details: err ? err.details : '', version: res && res.version }));
        process.exit(0);
      });`;
      const { stdout } = await run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], {
        timeout: 20_000,
      });
      const result = JSON.parse(stdout.trim());
      expect(result.token).toBe('unreadable:EACCES');
      expect(result.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(core.core.revision.number).toBe(before);
      expect(core.core.effective.policy.network_policies.pwn).toBeUndefined();
    },
  );

  const call = async (authorization: string | undefined) => {
    const rpc = new OpenShellRpc({
      name: 'x',
      endpoint: core.grpcUrl!,
      address: `127.0.0.1:${port}`,
      credentials: grpc.credentials.createInsecure(),
      metadata: () => {
        const md = new grpc.Metadata();
        if (authorization !== undefined) md.set('authorization', authorization);
        return md;
      },
    });
    try {
      return await rpc.call('UpdateConfig', ATTACK).then(
        () => 0,
        (e: grpc.ServiceError) => e.code,
      );
    } finally {
      rpc.close();
    }
  };

  it('no token, a wrong token of the same length, a prefix, or another scheme: all refused', async () => {
    const token = core.token;
    const sameLength = token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(sameLength).toHaveLength(token.length);
    for (const authorization of [
      undefined,
      `Bearer ${sameLength}`,
      `Bearer ${token.slice(0, 32)}`,
      `Basic ${token}`,
      token,
      `Bearer ${token} `,
    ])
      expect(await call(authorization), String(authorization)).toBe(grpc.status.UNAUTHENTICATED);
    expect(core.core.effective.policy.network_policies.pwn).toBeUndefined();
  });

  it('the comparison is constant-time over hashes: equal-length and prefix guesses take the same path', () => {
    expect(bearerMatches('Bearer abc', 'abc')).toBe(true);
    expect(bearerMatches('Bearer abd', 'abc')).toBe(false);
    expect(bearerMatches('Bearer ab', 'abc')).toBe(false);
    expect(bearerMatches('', 'abc')).toBe(false);
  });

  it('the operator still gets in: the CLI and a console find the token of the live core the endpoint names', async () => {
    // resolveConnection reads core.json and control.token from the state dir (0600), as the CLI does.
    const target = resolveConnection({ endpoint: core.grpcUrl }, {}, { stateDir });
    expect(target.bearer).toBe(readFileSync(join(stateDir, 'control.token'), 'utf8').trim());
    const rpc = new OpenShellRpc(connectionOf(target));
    const r = (await rpc.call('ListSandboxes', { workspace_scope: { workspace: 'default' } })) as { sandboxes: unknown[] };
    expect(r.sandboxes).toHaveLength(1);
    rpc.close();
    // Another endpoint on the same host gets no token from the state dir: it is not the core's.
    expect(resolveConnection({ endpoint: `http://127.0.0.1:${port + 1}` }, {}, { stateDir }).bearer).toBeUndefined();
  });
});

describe('exposure is said at start', () => {
  it('off the loopback without TLS: the token travels in clear', () => {
    expect(exposureWarning('0.0.0.0', false, false)).toMatch(/without TLS: the control token travels in clear/);
    expect(exposureWarning('192.0.2.10', true, false)).toMatch(/every call needs the control token/);
    expect(exposureWarning('192.0.2.10', true, true)).toMatch(/a client certificate/);
    expect(exposureWarning('127.0.0.1', false, false)).toBeUndefined();
    expect(exposureWarning('::1', false, false)).toBeUndefined();
  });

  it('a core listening on all addresses without TLS logs it when it starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-grpc-wide-'));
    const wide = await startStandalone({ stateDir: dir, proxyListen: '127.0.0.1:0', grpcListen: '0.0.0.0:0' });
    try {
      expect(wide.core.logs.since(0).some((l) => l.level === 'warn' && /travels in clear/.test(l.message))).toBe(true);
    } finally {
      await wide.stop();
    }
  });
});
