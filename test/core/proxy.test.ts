// The egress proxy over real sockets: decisions before any byte goes upstream, held requests released
// by operator decisions, clear 403s, CONNECT tunnels, and bad clients costing only their own connection.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { Resolver } from '../../src/core/net/resolver.js';
import { EgressProxy } from '../../src/core/proxy/egress-proxy.js';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { startUpstream } from '../helpers/upstream.js';
import { curlVia } from '../helpers/curl.js';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let core: EnforcementCore;
let proxy: EgressProxy;
let proxyUrl: string;
let resolver: Resolver;
const resolvedHosts: string[] = [];

const curl = (url: string, extra: string[] = []) => curlVia(proxyUrl, url, extra);

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

beforeAll(async () => {
  upstream = await startUpstream();
  const policy: SandboxPolicy = {
    version: 1,
    network_policies: {
      allowed: { name: 'allowed', endpoints: [{ host: 'allowed.test', port: upstream.port }], binaries: [{ path: '**' }] },
    },
  };
  core = new EnforcementCore({ baseline: policy, holdTimeoutMs: 5_000 });
  const hosts = ['allowed.test', 'pending.test', 'rejected.test', 'tunnel.test', 'timeout.test'].map((h) => `${h}:127.0.0.1`);
  resolver = new Resolver(hosts);
  const realResolve = resolver.resolve.bind(resolver);
  resolver.resolve = (host: string) => {
    resolvedHosts.push(host);
    return realResolve(host);
  };
  proxy = new EgressProxy({ core, resolver, allowLoopback: true });
  const address = await proxy.listen('127.0.0.1', 0);
  proxyUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  core.shutdown();
  await proxy.close();
  await upstream.close();
});

describe('egress proxy', () => {
  it('forwards an allowed plain-HTTP request', async () => {
    const r = await curl(`http://allowed.test:${upstream.port}/x?y=1`);
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello from upstream');
  });

  it('holds an unknown destination until the operator approves, then lets it through', async () => {
    const pending = curl(`http://pending.test:${upstream.port}/simple/requests/`);
    await waitFor(() => core.listRequests().some((r) => r.host === 'pending.test' && r.held === 1));
    const entry = core.listRequests().find((r) => r.host === 'pending.test')!;
    expect(entry.samples[0]).toEqual({ method: 'GET', path: '/simple/requests/' });
    // This proxy has no binary identity: every request is `unknown`, which must be approved explicitly.
    core.approve(entry.id, { kind: 'session' }, 'operator', { allowUnknownBinary: true });
    expect((await pending).status).toBe(200);
    // The session approval stands: the next request passes without prompting.
    expect((await curl(`http://pending.test:${upstream.port}/again`)).status).toBe(200);
    expect(core.revision.cause).toBe('approval');
  });

  it('answers a rejection with a clear 403, and keeps rejecting identical requests at once', async () => {
    const pending = curl(`http://rejected.test:${upstream.port}/`);
    await waitFor(() => core.listRequests().some((r) => r.host === 'rejected.test' && r.held === 1));
    const entry = core.listRequests().find((r) => r.host === 'rejected.test')!;
    core.reject(entry.id, 'not needed');
    const r = await pending;
    expect(r.status).toBe(403);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ error: 'egress_denied', host: 'rejected.test', request_id: entry.id });
    expect(body.reason).toContain('rejected by the operator: not needed');
    const again = await curl(`http://rejected.test:${upstream.port}/`);
    expect(again.status).toBe(403);
    expect(entry.held).toBe(0);
    expect(entry.hits).toBe(2);
  });

  it('holds a CONNECT until approved, then tunnels', async () => {
    const tunnelled = curl(`http://tunnel.test:${upstream.port}/through`, ['--proxytunnel']);
    await waitFor(() => core.listRequests().some((r) => r.host === 'tunnel.test' && r.held === 1));
    const entry = core.listRequests().find((r) => r.host === 'tunnel.test')!;
    expect(entry.samples).toEqual([]); // a tunnel shows no method or path
    core.approve(entry.id, { kind: 'once' }, 'operator', { allowUnknownBinary: true });
    const r = await tunnelled;
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello from upstream');
  });

  it('refuses a CONNECT with a 403 before any tunnel opens', async () => {
    const entryBefore = core.listRequests().find((r) => r.host === 'rejected.test')!;
    const reply = await new Promise<string>((resolve) => {
      const s = connect(Number(new URL(proxyUrl).port), '127.0.0.1');
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
      s.write(`CONNECT rejected.test:${upstream.port} HTTP/1.1\r\nHost: rejected.test:${upstream.port}\r\n\r\n`);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(reply).toContain('"error":"egress_denied"');
    expect(entryBefore.hits).toBeGreaterThanOrEqual(3);
  });

  it('refuses malformed CONNECT targets with 400', async () => {
    for (const target of ['no-port', 'host:0', 'host:70000', ':443']) {
      const reply = await new Promise<string>((resolve) => {
        const s = connect(Number(new URL(proxyUrl).port), '127.0.0.1');
        let data = '';
        s.on('data', (d) => (data += d));
        s.on('close', () => resolve(data));
        s.write(`CONNECT ${target} HTTP/1.1\r\n\r\n`);
      });
      expect(reply, target).toMatch(/^HTTP\/1\.1 400/);
    }
  });

  it('a hold timeout of 0 denies at once and keeps the entry for the next attempt', async () => {
    core.setHoldTimeout(0);
    const r = await curl(`http://timeout.test:${upstream.port}/`);
    expect(r.status).toBe(403);
    // Policy decides before name resolution: a refused host never costs (or leaks) a DNS query.
    expect(resolvedHosts).not.toContain('timeout.test');
    expect(resolvedHosts).toContain('allowed.test');
    expect(core.listRequests().find((x) => x.host === 'timeout.test')?.status).toBe('pending');
    core.setHoldTimeout(5_000);
  });

  it('garbage on one connection closes only that connection', async () => {
    const reply = await new Promise<string>((resolve) => {
      const s = connect(Number(new URL(proxyUrl).port), '127.0.0.1');
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
      s.write('\u0000\u0001garbage\r\n\r\n');
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await curl(`http://allowed.test:${upstream.port}/`)).status).toBe(200);
  });
});
