// The trust bundle handed to agents: the usual public roots plus our CA, in one PEM file, because most
// tools take a single file that replaces (not extends) their trust store. With it an agent trusts our
// leaves on inspected endpoints and still verifies every other host as before.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { CertificateAuthority } from './certificate-authority.js';

export const CA_BUNDLE_FILE = 'ca-bundle.pem';

/** Where distributions keep their bundle; the first readable one is used (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine). */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/** The variables that point common tools at a CA file: OpenSSL-based tools, Node, Python requests, curl, git. */
export const CA_BUNDLE_ENV = ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO'] as const;

/** The environment entries that make an agent use the bundle at `path`. */
export function caBundleEnv(path: string): Record<(typeof CA_BUNDLE_ENV)[number], string> {
  return Object.fromEntries(CA_BUNDLE_ENV.map((name) => [name, path])) as Record<(typeof CA_BUNDLE_ENV)[number], string>;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Writes <dir>/ca-bundle.pem = Node's tls.rootCertificates + the system bundle if readable (/etc/ssl/certs/ca-certificates.crt) + our CA, atomically; returns its path. Agents get it via SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO. */
export async function writeCaBundle(dir: string, ca: CertificateAuthority): Promise<string> {
  const system = await readSystemBundle();
  // Node's roots and the system's mostly overlap; each certificate is written once, compared without line breaks.
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const pem of [...rootCertificates, ...(system.match(PEM_CERTIFICATE) ?? []), ca.certPem]) {
    const block = pem.trim();
    const body = block.replace(/\s+/g, '');
    if (seen.has(body)) continue;
    seen.add(body);
    blocks.push(`${block}\n`);
  }
  const path = join(dir, CA_BUNDLE_FILE);
  // World-readable: agents may run as another user, and nothing in it is secret.
  await writeFileAtomic(path, blocks.join(''), { mode: 0o644 });
  return path;
}

async function readSystemBundle(): Promise<string> {
  for (const file of SYSTEM_BUNDLES) {
    try {
      return await readFile(file, 'utf8');
    } catch {
      // absent or unreadable here: try the next location
    }
  }
  return '';
}
