// The CA against real files and real TLS: Node's TLS client and curl (when installed) must accept our leaves
// exactly when they trust our CA.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, KeyObject, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';
import { crypto, x509 } from '../../src/core/tls/x509.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DAY = 86_400_000;
const execFileAsync = promisify(execFile);
const HAS_CURL = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tls-ca-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Answers any request with a tiny HTTP response, choosing the leaf by SNI. */
async function sniServer(ca: CertificateAuthority): Promise<{ server: Server; port: number }> {
  const server = createServer(
    {
      SNICallback: (name, done) => {
        ca.secureContextFor(name).then(
          (context) => done(null, context),
          (error: Error) => done(error),
        );
      },
    },
    respond,
  );
  return { server, port: await listen(server) };
}

function respond(socket: TLSSocket): void {
  socket.on('error', () => socket.destroy());
  socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
}

async function listen(server: Server): Promise<number> {
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Connects and resolves once the handshake (including host name verification) has succeeded. */
function handshake(port: number, options: { servername?: string; ca?: string }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function certOf(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}

describe('CertificateAuthority files', () => {
  let dir: string;
  let ca: CertificateAuthority;
  beforeAll(async () => {
    dir = await tempDir();
    const started = performance.now();
    ca = await CertificateAuthority.loadOrCreate(dir);
    console.log(`CA creation: ${(performance.now() - started).toFixed(1)} ms`);
  });

  it('writes ca.key 0600 and ca.crt, and leaves no temp or lock file', async () => {
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'ca.key']);
    expect((await stat(join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'ca.crt'))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(ca.certPem);
    expect(await readFile(join(dir, 'ca.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('is a CA for leaves only, named with a random id, valid about ten years', () => {
    const cert = certOf(ca.certPem);
    expect(cert.subject).toMatch(/CN=openshell-term local CA [0-9a-f]{8}/);
    expect(cert.issuer).toBe(cert.subject);
    const constraints = cert.getExtension(x509.BasicConstraintsExtension)!;
    expect([constraints.ca, constraints.pathLength, constraints.critical]).toEqual([true, 0, true]);
    const usage = cert.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    const years = (cert.notAfter.getTime() - cert.notBefore.getTime()) / (365 * DAY);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
  });

  it('reloads the same CA, whose leaves the first one verifies', async () => {
    const again = await CertificateAuthority.loadOrCreate(dir);
    expect(again).not.toBe(ca);
    expect(again.certPem).toBe(ca.certPem);
    const leaf = new X509Certificate((await again.leafFor('reload.test')).certPem);
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });

  it('concurrent first calls on one directory create one CA', async () => {
    const fresh = await tempDir();
    const all = await Promise.all(Array.from({ length: 4 }, () => CertificateAuthority.loadOrCreate(fresh)));
    expect(new Set(all.map((c) => c.certPem)).size).toBe(1);
    expect(await readFile(join(fresh, 'ca.crt'), 'utf8')).toBe(all[0].certPem);
  });

  it('concurrent processes on one directory agree on one CA', async () => {
    const fresh = await tempDir();
    const script = join(fresh, '..', `${fresh.split('/').pop()}-child.mjs`);
    const moduleUrl = pathToFileURL(join(ROOT, 'src/core/tls/certificate-authority.ts')).href;
    await writeFile(
      script,
      `import { CertificateAuthority } from ${JSON.stringify(moduleUrl)};\n` +
        `const ca = await CertificateAuthority.loadOrCreate(process.argv[2]);\nprocess.stdout.write(ca.certPem);\n`,
    );
    try {
      const outputs = await Promise.all(
        Array.from({ length: 3 }, async () => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, fresh], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          const code = await new Promise((resolve) => child.once('exit', resolve));
          expect(err).toBe('');
          expect(code).toBe(0);
          return out;
        }),
      );
      expect(new Set(outputs).size).toBe(1);
      expect(await readFile(join(fresh, 'ca.crt'), 'utf8')).toBe(outputs[0]);
    } finally {
      await rm(script, { force: true });
    }
  });

  it('replaces a half-written CA (key without certificate)', async () => {
    const fresh = await tempDir();
    const first = await CertificateAuthority.loadOrCreate(fresh);
    await unlink(join(fresh, 'ca.crt'));
    const second = await CertificateAuthority.loadOrCreate(fresh);
    expect(second.certPem).not.toBe(first.certPem);
    expect(await readFile(join(fresh, 'ca.crt'), 'utf8')).toBe(second.certPem);
  });

  it('refuses, without touching them, files it cannot use, and never echoes their contents', async () => {
    const fresh = await tempDir();
    await CertificateAuthority.loadOrCreate(fresh);
    const garbage = '-----BEGIN PRIVATE KEY-----\nU0VDUkVUU0VDUkVU\n-----END PRIVATE KEY-----\n';
    await writeFile(join(fresh, 'ca.key'), garbage, { mode: 0o600 });
    const error = await CertificateAuthority.loadOrCreate(fresh).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/cannot use the CA in .*remove ca\.key and ca\.crt/);
    expect((error as Error).message).not.toContain('U0VDUkVU');
    expect(await readFile(join(fresh, 'ca.key'), 'utf8')).toBe(garbage);

    // A key that belongs to another CA.
    const other = await tempDir();
    await CertificateAuthority.loadOrCreate(other);
    await writeFile(join(fresh, 'ca.key'), await readFile(join(other, 'ca.key')));
    await expect(CertificateAuthority.loadOrCreate(fresh)).rejects.toThrow(/ca\.key is not the key of ca\.crt/);
  });

  it('replaces an expired CA', async () => {
    const fresh = await tempDir();
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const expired = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: 'CN=expired',
        notBefore: new Date(Date.now() - 20 * DAY),
        notAfter: new Date(Date.now() - 10 * DAY),
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
        extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
      },
      crypto,
    );
    const keyPem = KeyObject.from(keys.privateKey as never).export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFile(join(fresh, 'ca.key'), keyPem, { mode: 0o600 });
    await writeFile(join(fresh, 'ca.crt'), expired.toString('pem'));
    const ca = await CertificateAuthority.loadOrCreate(fresh);
    expect(certOf(ca.certPem).subject).toMatch(/openshell-term local CA/);
    expect(certOf(ca.certPem).notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it('signs with an operator-provided RSA CA', async () => {
    const fresh = await tempDir();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const signingKey = await crypto.subtle.importKey('pkcs8', der, algorithm, true, ['sign']);
    const publicKey = await crypto.subtle.importKey(
      'spki',
      createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
      algorithm,
      true,
      ['verify'],
    );
    const rootCert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: 'CN=Operator Root',
        keys: { privateKey: signingKey, publicKey },
        signingAlgorithm: algorithm,
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
      },
      crypto,
    );
    await writeFile(join(fresh, 'ca.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(join(fresh, 'ca.crt'), rootCert.toString('pem'));
    const ca = await CertificateAuthority.loadOrCreate(fresh);
    const { server, port } = await sniServer(ca);
    try {
      const socket = await handshake(port, { servername: 'rsa.test', ca: ca.certPem });
      expect(socket.authorized).toBe(true);
      socket.destroy();
    } finally {
      server.close();
    }
  });
});

describe('CertificateAuthority leaves', () => {
  let ca: CertificateAuthority;
  let other: CertificateAuthority;
  beforeAll(async () => {
    ca = await CertificateAuthority.loadOrCreate(await tempDir());
    other = await CertificateAuthority.loadOrCreate(await tempDir());
  });

  it('issues server leaves: not a CA, digitalSignature, serverAuth, the host as SAN, ~1 day back to 30 ahead', async () => {
    const { certPem, keyPem } = await ca.leafFor('api.example.com');
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const cert = certOf(certPem);
    expect(cert.subject).toBe('CN=api.example.com');
    expect(cert.issuer).toBe(certOf(ca.certPem).subject);
    expect(cert.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(false);
    expect(cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(
      certOf(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
    );
    expect(new X509Certificate(certPem).subjectAltName).toBe('DNS:api.example.com');
    const now = Date.now();
    expect(Math.abs(cert.notBefore.getTime() - (now - DAY))).toBeLessThan(DAY / 2);
    expect(Math.abs(cert.notAfter.getTime() - (now + 30 * DAY))).toBeLessThan(DAY / 2);
    const serial = cert.serialNumber;
    expect(serial.length).toBeGreaterThanOrEqual(30);
    expect(certOf((await ca.leafFor('other.example.com')).certPem).serialNumber).not.toBe(serial);
  });

  it('names IP literals as iPAddress and normalises host spelling', async () => {
    expect(new X509Certificate((await ca.leafFor('127.0.0.1')).certPem).subjectAltName).toBe('IP Address:127.0.0.1');
    expect(new X509Certificate((await ca.leafFor('[::1]')).certPem).subjectAltName).toBe('IP Address:0:0:0:0:0:0:0:1');
    expect(new X509Certificate((await ca.leafFor('::ffff:127.0.0.1')).certPem).subjectAltName).toBe('IP Address:0:0:0:0:0:FFFF:7F00:1');
    expect(await ca.leafFor('API.Example.com.')).toEqual(await ca.leafFor('api.example.com'));
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.example`;
    const longCert = new X509Certificate((await ca.leafFor(long)).certPem);
    expect(longCert.subjectAltName).toBe(`DNS:${long}`);
    expect(longCert.checkHost(long)).toBe(long);
  });

  it('rejects hosts no certificate can name, without caching the failure', async () => {
    for (const bad of ['', 'a b.example', '*.example.com', '127.1', '-x.example', 'a..example']) {
      await expect(ca.leafFor(bad)).rejects.toThrow(/not a host name/);
    }
  });

  it('concurrent calls for one host share one generation, and later calls the cached leaf', async () => {
    const leaves = await Promise.all(Array.from({ length: 16 }, () => ca.leafFor('shared.test')));
    // Every generation makes a fresh random key and serial, so equal results mean one generation.
    expect(new Set(leaves.map((l) => l.certPem)).size).toBe(1);
    expect(new Set(leaves.map((l) => l.keyPem)).size).toBe(1);
    expect((await ca.leafFor('shared.test')).certPem).toBe(leaves[0].certPem);
    const contexts = await Promise.all([ca.secureContextFor('shared.test'), ca.secureContextFor('shared.test')]);
    expect(contexts[0]).toBe(contexts[1]);
    expect(await ca.secureContextFor('shared.test')).toBe(contexts[0]);
  });

  it('serves two hosts by SNI to a client that trusts the CA', async () => {
    const { server, port } = await sniServer(ca);
    try {
      for (const host of ['alpha.test', 'beta.example.org']) {
        const socket = await handshake(port, { servername: host, ca: ca.certPem });
        expect(socket.authorized).toBe(true);
        expect(socket.authorizationError ?? null).toBeNull();
        expect(socket.getPeerCertificate().subjectaltname).toBe(`DNS:${host}`);
        socket.destroy();
      }
    } finally {
      server.close();
    }
  });

  it('verifies for an IP literal host', async () => {
    const { keyPem, certPem } = await ca.leafFor('127.0.0.1');
    const server = createServer({ key: keyPem, cert: certPem }, respond);
    const port = await listen(server);
    try {
      // No servername: Node checks the certificate against the IP it connected to.
      const socket = await handshake(port, { ca: ca.certPem });
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerCertificate().subjectaltname).toBe('IP Address:127.0.0.1');
      socket.destroy();
      // Trusting the CA does not make a leaf for one host good for another.
      await expect(handshake(port, { servername: 'beta.test', ca: ca.certPem })).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      server.close();
    }
  });

  it('fails for a client that does not trust the CA', async () => {
    const { server, port } = await sniServer(ca);
    try {
      await expect(handshake(port, { servername: 'alpha.test', ca: other.certPem })).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      await expect(handshake(port, { servername: 'alpha.test' })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      server.close();
    }
  });

  it.skipIf(!HAS_CURL)('is accepted by curl given ca.crt, and refused by curl without it', async () => {
    const dir = await tempDir();
    const fileCa = await CertificateAuthority.loadOrCreate(dir);
    const { server, port } = await sniServer(fileCa);
    try {
      const url = `https://curl.test:${port}/`;
      const resolve = `curl.test:${port}:127.0.0.1`;
      const { stdout } = await execFileAsync('curl', [
        '--silent',
        '--show-error',
        '--fail',
        '--cacert',
        join(dir, 'ca.crt'),
        '--resolve',
        resolve,
        url,
      ]);
      expect(stdout).toBe('ok');
      const refused = await execFileAsync('curl', ['--silent', '--show-error', '--resolve', resolve, url]).catch(
        (e: { code: number }) => e,
      );
      // 60: peer certificate cannot be authenticated with known CA certificates.
      expect(refused).toMatchObject({ code: 60 });
    } finally {
      server.close();
    }
  });

  it('reports the per-leaf generation cost (printed, not asserted)', async () => {
    const fresh = await CertificateAuthority.loadOrCreate(await tempDir());
    const count = 100;
    const started = performance.now();
    for (let i = 0; i < count; i++) await fresh.secureContextFor(`host${i}.cost.test`);
    const sequential = (performance.now() - started) / count;
    const parallelStart = performance.now();
    await Promise.all(Array.from({ length: count }, (_, i) => fresh.secureContextFor(`par${i}.cost.test`)));
    const parallel = (performance.now() - parallelStart) / count;
    console.log(
      `leaf (key + certificate + SecureContext): ${sequential.toFixed(2)} ms sequential, ${parallel.toFixed(2)} ms amortised over ${count} in parallel`,
    );
  });
});
