// The bundle must keep every public root an agent already trusts and add ours; tools pointed at it by the
// environment variables then accept our leaves.
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_BUNDLE_ENV, caBundleEnv, writeCaBundle } from '../../src/core/tls/ca-bundle.js';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const HAS_CURL = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
const execFileAsync = promisify(execFile);

const blocks = (text: string) =>
  (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => b.replace(/\s+/g, ''));

let dir: string;
let ca: CertificateAuthority;
let path: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ca-bundle-'));
  ca = await CertificateAuthority.loadOrCreate(dir);
  path = await writeCaBundle(dir, ca);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeCaBundle', () => {
  it('writes <dir>/ca-bundle.pem, readable by agents, with no temp file left', async () => {
    expect(path).toBe(join(dir, 'ca-bundle.pem'));
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect((await readdir(dir)).sort()).toEqual(['ca-bundle.pem', 'ca.crt', 'ca.key']);
  });

  it("holds Node's roots, the system bundle's roots and our CA, each once, and no private key", async () => {
    const text = await readFile(path, 'utf8');
    const inBundle = blocks(text);
    expect(new Set(inBundle).size).toBe(inBundle.length);
    expect(inBundle).toEqual(expect.arrayContaining(rootCertificates.map((pem) => pem.replace(/\s+/g, ''))));
    expect(inBundle).toContain(ca.certPem.replace(/\s+/g, ''));
    const system = await readFile(SYSTEM_BUNDLE, 'utf8').catch(() => undefined);
    if (system !== undefined) expect(inBundle).toEqual(expect.arrayContaining(blocks(system)));
    expect(text).not.toMatch(/PRIVATE KEY/);
    // Every block parses, so strict consumers (Go, Python ssl) accept the whole file.
    for (const block of text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!) new X509Certificate(block);
  });

  it('rewrites in place, the same content for the same inputs', async () => {
    const before = await readFile(path, 'utf8');
    expect(await writeCaBundle(dir, ca)).toBe(path);
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('names the variables agents read', () => {
    expect(caBundleEnv('/s/ca-bundle.pem')).toEqual(Object.fromEntries(CA_BUNDLE_ENV.map((name) => [name, '/s/ca-bundle.pem'])));
    expect([...CA_BUNDLE_ENV].sort()).toEqual([
      'AWS_CA_BUNDLE',
      'CARGO_HTTP_CAINFO',
      'CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE',
      'CURL_CA_BUNDLE',
      'DENO_CERT',
      'GIT_SSL_CAINFO',
      'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH',
      'NODE_EXTRA_CA_CERTS',
      'PIP_CERT',
      'REQUESTS_CA_BUNDLE',
      'SSL_CERT_FILE',
      'npm_config_cafile',
    ]);
  });

  it.skipIf(!HAS_CURL)('makes curl, pointed at it through the environment, accept our leaves', async () => {
    const server = createServer(
      { SNICallback: (name, done) => void ca.secureContextFor(name).then((context) => done(null, context), done) },
      (socket) => {
        socket.on('error', () => socket.destroy());
        socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...caBundleEnv(path) };
      const { stdout } = await execFileAsync(
        'curl',
        ['--silent', '--show-error', '--fail', '--resolve', `bundle.test:${port}:127.0.0.1`, `https://bundle.test:${port}/`],
        { env },
      );
      expect(stdout).toBe('ok');
    } finally {
      server.close();
    }
  });
});
