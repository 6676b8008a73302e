// Over real sockets (curl → the egress proxy → a local upstream that records what it receives):
// an approval on a host the policy restricts at L7 keeps those rules for the approved binary (never a
// blind tunnel), and --allow-loopback admits loopback upstreams however the policy names them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepHostL7 } from '../../src/core/approvals/session-approvals.js';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { Resolver } from '../../src/core/net/resolver.js';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy, literalBinaryPath } from '../../src/core/policy/matcher.js';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { EgressProxy } from '../../src/core/proxy/egress-proxy.js';
import { curlVia } from '../helpers/curl.js';

let upstream: Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    res.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  port = (upstream.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

async function withCore(policy: SandboxPolicy, allowLoopback: boolean, run: (proxy: string, core: EnforcementCore) => Promise<void>) {
  const core = new EnforcementCore({ baseline: policy, holdTimeoutMs: 10_000, allowLoopback });
  const proxy = new EgressProxy({ core, resolver: new Resolver([`api.test:127.0.0.1`]), allowLoopback });
  const address = await proxy.listen('127.0.0.1', 0);
  try {
    await run(`http://127.0.0.1:${address.port}`, core);
  } finally {
    core.shutdown();
    await proxy.close();
  }
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('approving a binary on an L7-restricted host', () => {
  it('keeps the host read-only for it: the DELETE never reaches the upstream', async () => {
    const policy: SandboxPolicy = {
      version: 1,
      network_policies: {
        api: {
          endpoints: [{ host: 'api.test', port: 0, protocol: 'rest', enforcement: 'enforce', access: 'read-only' }],
          binaries: [{ path: '/usr/bin/someone-else' }],
        },
      },
    };
    policy.network_policies.api.endpoints[0].port = port;
    await withCore(policy, true, async (proxy, core) => {
      const first = curlVia(proxy, `http://api.test:${port}/items`);
      await waitFor(() => core.listRequests().some((r) => r.host === 'api.test' && r.held === 1));
      // The test's curl is not identified (identify is off here): say so, as an operator must.
      core.approve(core.listRequests().find((r) => r.host === 'api.test')!.id, undefined, 'operator', { allowUnknownBinary: true });
      expect((await first).status).toBe(200);
      received.length = 0;
      const del = await curlVia(proxy, `http://api.test:${port}/items/1`, ['-X', 'DELETE']);
      expect(del.status).toBe(403);
      expect(JSON.parse(del.body).reason).toContain('not permitted by policy');
      expect(received).toEqual([]);
      // Reads still pass under the approval.
      expect((await curlVia(proxy, `http://api.test:${port}/items/2`)).status).toBe(200);
      expect(received).toEqual(['GET /items/2']);
    });
  });

  it('copies only the inspected endpoints of that host and port, re-scoped to the approved host', () => {
    const policy: SandboxPolicy = {
      version: 1,
      network_policies: {
        wild: { endpoints: [{ host: '*.corp.test', port: 443, protocol: 'rest', access: 'read-only' }], binaries: [{ path: '/bin/a' }] },
        other: { endpoints: [{ host: 'x.corp.test', port: 80, protocol: 'rest', access: 'full' }], binaries: [{ path: '/bin/a' }] },
      },
    };
    const kept = keepHostL7({ requestId: 'r1', host: 'x.corp.test', port: 443, binary: '/bin/b', approvedAt: 0, by: 'op' }, policy);
    expect(kept.endpoints).toEqual([{ host: 'x.corp.test', port: 443, protocol: 'rest', access: 'read-only' }]);
    const plain = keepHostL7({ requestId: 'r2', host: 'y.test', port: 443, binary: '/bin/b', approvedAt: 0, by: 'op' }, policy);
    expect(plain.endpoints).toBeUndefined();
  });

  it('matches an approved binary path literally: approving /opt/agent/* does not admit /opt/agent/other', () => {
    const compiled = compilePolicy({
      version: 1,
      network_policies: { a: { endpoints: [{ host: 'h.test', port: 443 }], binaries: [{ path: literalBinaryPath('/opt/agent/*') }] } },
    });
    expect(decide(compiled, { host: 'h.test', port: 443, binary: '/opt/agent/*' }).outcome).toBe('allow');
    expect(decide(compiled, { host: 'h.test', port: 443, binary: '/opt/agent/other' }).outcome).toBe('deny');
  });
});

describe('--allow-loopback', () => {
  const policyFor = (host: string): SandboxPolicy => ({
    version: 1,
    network_policies: { local: { endpoints: [{ host, port }], binaries: [{ path: '**' }] } },
  });

  it('admits the policy host 127.0.0.1 itself over real sockets', async () => {
    await withCore(policyFor('127.0.0.1'), true, async (proxy) => {
      received.length = 0;
      const r = await curlVia(proxy, `http://127.0.0.1:${port}/model`);
      expect(r.status).toBe(200);
      expect(received).toEqual(['GET /model']);
    });
  });

  it('still refuses 127.0.0.1 without the flag', async () => {
    await withCore(policyFor('127.0.0.1'), false, async (proxy) => {
      received.length = 0;
      expect((await curlVia(proxy, `http://127.0.0.1:${port}/model`)).status).toBe(403);
      expect(received).toEqual([]);
    });
  });

  it.each([
    ['[::1]', '::1', undefined],
    ['::1', '[::1]', undefined],
    ['localhost', 'localhost', ['127.0.0.1']],
    ['0:0:0:0:0:0:0:1', '::1', undefined],
  ])('admits loopback written as %s (request host %s)', (policyHost, requestHost, resolved) => {
    const compiled = compilePolicy(policyFor(policyHost), { allowLoopback: true });
    const d = decide(compiled, { host: requestHost, port, binary: '/bin/x', ...(resolved ? { resolved_ips: resolved } : {}) });
    expect(d).toMatchObject({ outcome: 'allow' });
    expect(
      decide(compilePolicy(policyFor(policyHost)), {
        host: requestHost,
        port,
        binary: '/bin/x',
        ...(resolved ? { resolved_ips: resolved } : {}),
      }).outcome,
    ).toBe('deny');
  });

  it.each([['169.254.169.254'], ['fd00:ec2::254'], ['100.100.100.200'], ['fe80::1'], ['0.0.0.0']])(
    'keeps refusing metadata, link-local and unspecified %s even with the flag',
    (ip) => {
      const compiled = compilePolicy(policyFor(ip), { allowLoopback: true });
      expect(decide(compiled, { host: ip, port, binary: '/bin/x' })).toMatchObject({ outcome: 'deny', stage: 'ssrf' });
      const named = compilePolicy(policyFor('metadata.test'), { allowLoopback: true });
      expect(decide(named, { host: 'metadata.test', port, binary: '/bin/x', resolved_ips: [ip] })).toMatchObject({
        outcome: 'deny',
        stage: 'ssrf',
      });
    },
  );
});
