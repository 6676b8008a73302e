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

/** The variables that point common tools at one CA file, and who reads each. Each names a file that replaces
 *  (not extends) the tool's trust store, hence a bundle with the system roots in it. */
export const CA_BUNDLE_READERS = {
  SSL_CERT_FILE: 'OpenSSL-based tools, Python ssl/urllib/httpx, Go, Rust (native-tls, rustls-native-certs), Ruby',
  NODE_EXTRA_CA_CERTS: 'Node (added to its roots), Bun',
  REQUESTS_CA_BUNDLE: 'Python requests (and the Google and AWS libraries built on it)',
  CURL_CA_BUNDLE: 'curl',
  GIT_SSL_CAINFO: 'git',
  PIP_CERT: "pip (over a pip.conf's cert)",
  npm_config_cafile: "npm, pnpm (over a system npmrc's cafile)",
  AWS_CA_BUNDLE: 'AWS CLI and SDKs',
  CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE: 'gcloud',
  GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: 'gRPC C core (Google SDKs over gRPC)',
  CARGO_HTTP_CAINFO: 'cargo',
  DENO_CERT: 'Deno',
} as const;

export const CA_BUNDLE_ENV = Object.keys(CA_BUNDLE_READERS) as Array<keyof typeof CA_BUNDLE_READERS>;

/** The environment entries that make an agent use the bundle at `path`. */
export function caBundleEnv(path: string): Record<keyof typeof CA_BUNDLE_READERS, string> {
  return Object.fromEntries(CA_BUNDLE_ENV.map((name) => [name, path])) as Record<keyof typeof CA_BUNDLE_READERS, string>;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Writes <dir>/ca-bundle.pem = Node's tls.rootCertificates + the system bundle if readable (/etc/ssl/certs/ca-certificates.crt) + our CA, atomically; returns its path. `run` copies it where its agent can read it and names it in CA_BUNDLE_ENV. */
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
