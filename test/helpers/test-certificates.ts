// A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with the
// openssl command (ECDSA P-256), for tests of TLS and mTLS over real sockets.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  file(name: 'ca.crt' | 'server.crt' | 'server.key' | 'client.crt' | 'client.key'): string;
  pem(name: 'ca.crt' | 'server.crt' | 'server.key' | 'client.crt' | 'client.key'): Buffer;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'ost-certs-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test gateway CA');
  const leaf = (name: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  return { dir, file: (name) => join(dir, name), pem: (name) => readFileSync(join(dir, name)) };
}

/** A self-signed certificate from no CA the tests trust. */
export function makeForeignCertificate(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'ost-certs-other-'));
  execFileSync('openssl', ['req', '-x509', ...EC, '-keyout', 'k', '-out', 'c', '-days', '1', '-subj', '/CN=other'], {
    cwd: dir,
    stdio: 'pipe',
  });
  return readFileSync(join(dir, 'c'));
}
