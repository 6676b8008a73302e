// The connection's security, for real: a gateway found in the OpenShell CLI's config directory and
// reached over mTLS (certificates made with openssl), a client without a certificate refused, and a
// served core that requires the bearer token refusing calls without it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { MergeManager } from '../../src/core/merges/merge-manager.js';
import { MergedRules } from '../../src/core/merges/merged-rules.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import type { GatewayEvent } from '../../src/gateway/gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { OpenShellServer } from '../../src/gateway/grpc/openshell-server.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { makeForeignCertificate, makeTestCertificates, type TestCertificates } from '../helpers/test-certificates.js';

let certs: TestCertificates;
const pem = (name: Parameters<TestCertificates['pem']>[0]) => certs.pem(name);

async function servedCore(options: { tls?: { cert: Buffer; key: Buffer; ca?: Buffer }; token?: string }) {
  const core = new EnforcementCore({ baseline: { version: 1, network_policies: {} }, holdTimeoutMs: 0 });
  const merges = new MergeManager(await MergedRules.open(mkdtempSync(join(tmpdir(), 'ost-grpc-tls-state-'))), core);
  const server = new OpenShellServer({
    sandboxes: [{ id: 'sb-1', name: 'secure-box', createdAt: Date.now(), core, merges }],
    version: 'test',
    ...options,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { core, server, port };
}

let mtls: Awaited<ReturnType<typeof servedCore>>;
let withToken: Awaited<ReturnType<typeof servedCore>>;
let env: Record<string, string>;

beforeAll(async () => {
  certs = makeTestCertificates();
  const dir = certs.dir;
  mtls = await servedCore({ tls: { cert: pem('server.crt'), key: pem('server.key'), ca: pem('ca.crt') } });
  withToken = await servedCore({ token: 'test-token-123' });
  // The OpenShell CLI's layout: $XDG_CONFIG_HOME/openshell/gateways/<name>/{metadata.json,mtls/…}, active_gateway.
  const config = join(dir, 'config');
  const gw = join(config, 'openshell', 'gateways', 'secure');
  mkdirSync(join(gw, 'mtls'), { recursive: true });
  writeFileSync(
    join(gw, 'metadata.json'),
    JSON.stringify(
      { name: 'secure', gateway_endpoint: `https://127.0.0.1:${mtls.port}`, is_remote: false, gateway_port: mtls.port, auth_mode: 'mtls' },
      null,
      2,
    ),
  );
  for (const [from, to] of [
    ['ca.crt', 'ca.crt'],
    ['client.crt', 'tls.crt'],
    ['client.key', 'tls.key'],
  ] as const)
    writeFileSync(join(gw, 'mtls', to), pem(from));
  writeFileSync(join(config, 'openshell', 'active_gateway'), 'secure\n');
  env = { XDG_CONFIG_HOME: config, OPENSHELL_SYSTEM_GATEWAY_DIR: join(dir, 'no-system') };
});

afterAll(async () => {
  await mtls?.server.close();
  await withToken?.server.close();
});

describe('mTLS to a discovered gateway', () => {
  it('the active gateway from the config dir is reached over mTLS and its inbox arrives', async () => {
    const target = resolveConnection({}, env);
    expect(target).toMatchObject({ name: 'secure', tls: true, authMode: 'mtls' });
    const gateway = new GrpcGateway({
      rpc: new OpenShellRpc(connectionOf(target)),
      presets: await PresetStore.open(mkdtempSync(join(tmpdir(), 'ost-grpc-tls-console-'))),
    });
    const events: GatewayEvent[] = [];
    gateway.subscribe((e) => events.push(e));
    await mtls.core.evaluate({ host: 'secret.example', port: 443, binary: '/usr/bin/git' });
    await gateway.start();
    for (let i = 0; i < 300 && !events.some((e) => e.type === 'snapshot'); i++) await new Promise((r) => setTimeout(r, 10));
    const snapshot = events.find((e) => e.type === 'snapshot') as Extract<GatewayEvent, { type: 'snapshot' }>;
    expect(snapshot.requests.map((r) => `${r.sandbox} ${r.host}:${r.port} ${r.binary}`)).toEqual([
      'secure-box secret.example:443 /usr/bin/git',
    ]);
    await gateway.stop();
  });

  it('a client without a certificate is refused by the server', async () => {
    const rpc = new OpenShellRpc({
      name: 'x',
      endpoint: '',
      address: `127.0.0.1:${mtls.port}`,
      credentials: grpc.credentials.createSsl(pem('ca.crt')),
      metadata: () => new grpc.Metadata(),
    });
    await expect(rpc.call('Health', {}, 3000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    rpc.close();
  });

  it('a server certificate from another CA is refused by the client', async () => {
    const rpc = new OpenShellRpc({
      name: 'x',
      endpoint: '',
      address: `127.0.0.1:${mtls.port}`,
      credentials: grpc.credentials.createSsl(makeForeignCertificate(), pem('client.key'), pem('client.crt')),
      metadata: () => new grpc.Metadata(),
    });
    await expect(rpc.call('Health', {}, 3000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    rpc.close();
  });
});

describe('bearer token on the served core', () => {
  const rpcWith = (token?: string) =>
    new OpenShellRpc({
      name: 'x',
      endpoint: '',
      address: `127.0.0.1:${withToken.port}`,
      credentials: grpc.credentials.createInsecure(),
      metadata: () => {
        const m = new grpc.Metadata();
        if (token) m.set('authorization', `Bearer ${token}`);
        return m;
      },
    });

  it('refuses calls without the token, or with a wrong one, and never echoes it', async () => {
    for (const token of [undefined, 'wrong-token']) {
      const rpc = rpcWith(token);
      const error = await rpc.call('ListSandboxes', { workspace_scope: { workspace: 'default' } }).catch((e) => e);
      expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(String(error.details)).not.toContain('test-token-123');
      rpc.close();
    }
  });

  it('serves calls that carry it, and streams too', async () => {
    const rpc = rpcWith('test-token-123');
    const list = (await rpc.call('ListSandboxes', { workspace_scope: { workspace: 'default' } })) as {
      sandboxes: Array<{ metadata: { name: string } }>;
    };
    expect(list.sandboxes.map((s) => s.metadata.name)).toEqual(['secure-box']);
    const refused = rpcWith().stream('WatchSandbox', { sandbox: 'secure-box', workspace_scope: { workspace: 'default' } });
    const code = await new Promise((resolve) => refused.on('error', (e: grpc.ServiceError) => resolve(e.code)));
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
    rpc.close();
  });
});

describe('garbage on the gRPC port', () => {
  it('closes that connection; other clients keep working', async () => {
    const { connect } = await import('node:net');
    const closed = (payload: Buffer | string) =>
      new Promise<void>((resolve) => {
        const raw = connect(withToken.port, '127.0.0.1', () => raw.write(payload));
        raw.on('data', () => {});
        raw.on('error', () => resolve());
        raw.on('close', () => resolve());
      });
    await Promise.all([
      closed(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))),
      closed('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      closed(`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n${'\u0000'.repeat(64)}`),
    ]);
    const rpc = new OpenShellRpc({
      name: 'x',
      endpoint: '',
      address: `127.0.0.1:${withToken.port}`,
      credentials: grpc.credentials.createInsecure(),
      metadata: () => {
        const m = new grpc.Metadata();
        m.set('authorization', 'Bearer test-token-123');
        return m;
      },
    });
    expect(((await rpc.call('Health', {})) as { status: string }).status).toBe('SERVICE_STATUS_HEALTHY');
    rpc.close();
  });
});
