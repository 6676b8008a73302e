// HTTPS through the real core: CONNECT + TLS termination for an endpoint with L7 rules (decided per
// request inside the tunnel), and an untouched tunnel for an approved destination without them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';
import { BIN, runCli } from '../helpers/cli.js';
import { curlVia } from '../helpers/curl.js';

let upstream: Server;
let upPort: number;
let stateDir: string;
let core: ReturnType<typeof spawn>;
let proxy: string;
let trust: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ost-tls-'));
  // The upstream's own CA, unrelated to the core's.
  const upstreamCa = await CertificateAuthority.loadOrCreate(join(dir, 'upstream-ca'));
  upstream = createServer(
    {
      SNICallback: (name, cb) =>
        upstreamCa.secureContextFor(name).then(
          (ctx) => cb(null, ctx),
          (e) => cb(e),
        ),
    },
    (req, res) => res.writeHead(200, { 'x-path': req.url ?? '' }).end(`secure hello ${req.method} ${req.url}`),
  );
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upPort = (upstream.address() as AddressInfo).port;
  stateDir = join(dir, 'state');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    `version: 1
network_policies:
  docs:
    name: docs
    endpoints:
      - host: tls.test
        port: ${upPort}
        protocol: rest
        enforcement: enforce
        access: read-only
    binaries: [{ path: "**" }]
`,
  );
  core = spawn(
    process.execPath,
    [
      BIN,
      'core',
      '--state-dir',
      stateDir,
      '--policy',
      policy,
      '--proxy-listen',
      '127.0.0.1:0',
      '--resolve',
      'tls.test:127.0.0.1',
      '--resolve',
      'pending-tls.test:127.0.0.1',
      '--allow-loopback',
      '--hold-timeout',
      '15',
    ],
    {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'upstream-ca', 'ca.crt') },
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 300 && !proxy; i++) {
    try {
      proxy = `http://${JSON.parse(readFileSync(join(stateDir, 'core.json'), 'utf8')).proxy}`;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  // curl trusts the core's bundle (for inspected endpoints) and the upstream's CA (for plain tunnels).
  trust = join(dir, 'trust.pem');
  writeFileSync(trust, readFileSync(join(stateDir, 'ca-bundle.pem'), 'utf8') + readFileSync(join(dir, 'upstream-ca', 'ca.crt'), 'utf8'));
});

afterAll(async () => {
  core?.kill('SIGTERM');
  await new Promise<void>((r) => upstream.close(() => r()));
});

const curl = (url: string, extra: string[] = []) => curlVia(proxy, url, ['--cacert', trust, ...extra]);

describe('HTTPS through the core', () => {
  it('terminates TLS on an inspected endpoint: GET allowed, POST refused inside the tunnel', async () => {
    const get = await curl(`https://tls.test:${upPort}/guide?x=1`);
    expect(get).toEqual({ status: 200, body: 'secure hello GET /guide?x=1' });
    const post = await curl(`https://tls.test:${upPort}/guide`, ['-X', 'POST', '-d', 'x']);
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body)).toMatchObject({ error: 'egress_denied', stage: 'l7', host: 'tls.test' });
  }, 20_000);

  it('an unknown HTTPS destination waits in the inbox; approved, it tunnels untouched', async () => {
    const pending = curl(`https://pending-tls.test:${upPort}/raw`);
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      const r = await runCli(['requests', '--json', '--state-dir', stateDir]);
      id = (JSON.parse(r.stdout || '[]') as Array<{ id: string; host: string; held: number }>).find(
        (x) => x.host === 'pending-tls.test' && x.held > 0,
      )?.id;
    }
    expect(id).toBeDefined();
    await runCli(['approve', id!, '--state-dir', stateDir]);
    expect(await pending).toEqual({ status: 200, body: 'secure hello GET /raw' });
  }, 30_000);
});
