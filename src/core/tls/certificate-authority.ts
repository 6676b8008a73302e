// The core's own certificate authority for TLS termination: inspected endpoints get a leaf for the requested
// host signed by this CA, which agents trust through the CA bundle. The CA lives in the state directory
// (ca.key 0600, ca.crt) and survives restarts, so a bundle handed to an agent stays valid. Keys are ECDSA
// P-256: a new key takes well under a millisecond, where an RSA-2048 one takes about 200 ms.
import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate as NodeCertificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { certificateHost, type CertificateHost } from './certificate-host.js';
import { withFileLock } from './file-lock.js';
import { LruCache } from '../lru-cache.js';
import type { x509 } from './x509.js';

// @peculiar/x509 costs ~20 MiB of memory once loaded, and is needed only to make certificates: when the
// first inspected tunnel needs a leaf (or on the very first start, to make the CA). Loading and using an
// existing CA takes Node's own crypto only.
const loadX509 = () => import('./x509.js');
const subtle = (webcrypto as unknown as Crypto).subtle;

export const CA_KEY_FILE = 'ca.key';
export const CA_CERT_FILE = 'ca.crt';
const LOCK_FILE = 'ca.lock';

const DAY = 86_400_000;
const CA_LIFETIME = 3650 * DAY;
// Backdated so a client whose clock runs behind ours still accepts a certificate made a moment ago.
const BACKDATE = DAY;
const LEAF_LIFETIME = 30 * DAY;
// A long-running core replaces a cached leaf this long before it expires.
const RENEW_BEFORE = DAY;
const LEAF_CACHE_SIZE = 1000;
const EC_P256: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

interface Leaf {
  keyPem: string;
  certPem: string;
  context: SecureContext;
}

/** What leaves need of the CA certificate in @peculiar/x509's terms, made once on first use. */
interface Issuer {
  subjectName: x509.Name;
  authorityKeyId: x509.AuthorityKeyIdentifierExtension | undefined;
}

interface CachedLeaf {
  promise: Promise<Leaf>;
  renewAt: number;
}

/** How the CA key signs, derived from the key itself (an operator may put an RSA or P-384 CA in place of ours). */
interface Signer {
  key: CryptoKey;
  algorithm: EcdsaParams | RsaHashedImportParams;
}

type Loaded = { kind: 'ok'; ca: CertificateAuthority } | { kind: 'replace' } | { kind: 'invalid'; error: Error };

export class CertificateAuthority {
  private readonly leaves = new LruCache<string, CachedLeaf>(LEAF_CACHE_SIZE);
  private issuer: Promise<Issuer> | undefined;
  private readonly notBefore: number;
  private readonly notAfter: number;

  private constructor(
    readonly certPem: string,
    private readonly cert: NodeCertificate,
    private readonly signer: Signer,
  ) {
    this.notBefore = Date.parse(cert.validFrom);
    this.notAfter = Date.parse(cert.validTo);
  }

  private issuerOnce(): Promise<Issuer> {
    this.issuer ??= loadX509().then(({ x509 }) => {
      const cert = new x509.X509Certificate(this.cert.raw);
      // Points leaves at the CA's own key identifier (not a recomputed one) so chain building finds it.
      const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
      return { subjectName: cert.subjectName, authorityKeyId: ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : undefined };
    });
    return this.issuer;
  }

  /** Loads <dir>/ca.key + <dir>/ca.crt, or creates them (key file mode 0600, written atomically: temp file + fsync + rename). */
  static async loadOrCreate(dir: string): Promise<CertificateAuthority> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const first = await CertificateAuthority.load(dir);
    if (first.kind === 'ok') return first.ca;
    // Missing, expired, or caught half-written by another process: decide again under the lock.
    return withFileLock(join(dir, LOCK_FILE), async () => {
      const again = await CertificateAuthority.load(dir);
      if (again.kind === 'ok') return again.ca;
      if (again.kind === 'invalid') throw again.error;
      await create(dir);
      const created = await CertificateAuthority.load(dir);
      if (created.kind !== 'ok') throw created.kind === 'invalid' ? created.error : new Error(`the CA written to ${dir} did not load`);
      return created.ca;
    });
  }

  /** A leaf for this host (DNS name or IP literal → SAN of the right type), valid ~1 day back to 30 days ahead, cached (LRU, ~1000 entries); concurrent calls for one host share one generation. */
  async leafFor(host: string): Promise<{ keyPem: string; certPem: string }> {
    const { keyPem, certPem } = await this.leaf(host);
    return { keyPem, certPem };
  }

  /** A tls.SecureContext for the host, cached alongside. */
  async secureContextFor(host: string): Promise<SecureContext> {
    return (await this.leaf(host)).context;
  }

  private leaf(host: string): Promise<Leaf> {
    const target = certificateHost(host);
    const now = Date.now();
    const cached = this.leaves.get(target.name);
    if (cached && now < cached.renewAt) return cached.promise;
    // Inside the CA's own validity, so no leaf claims more than its issuer.
    const notBefore = Math.max(now - BACKDATE, this.notBefore);
    const notAfter = Math.min(now + LEAF_LIFETIME, this.notAfter);
    const entry: CachedLeaf = { promise: this.issue(target, notBefore, notAfter), renewAt: notAfter - RENEW_BEFORE };
    this.leaves.set(target.name, entry);
    entry.promise.catch(() => this.leaves.deleteIf(target.name, entry));
    return entry.promise;
  }

  private async issue(target: CertificateHost, notBefore: number, notAfter: number): Promise<Leaf> {
    const [{ x509, crypto }, issuer] = await Promise.all([loadX509(), this.issuerOnce()]);
    const keys = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // keyEncipherment is for RSA key transport; an EC leaf only signs.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: target.kind, value: target.name }]),
    ];
    if (issuer.authorityKeyId) extensions.push(issuer.authorityKeyId);
    const cert = await x509.X509CertificateGenerator.create(
      {
        // Clients match the SAN; the CN is for people reading the certificate, and is capped at 64 characters.
        subject: target.name.length <= 64 ? [{ CN: [target.name] }] : [{ O: ['openshell-term'] }],
        issuer: issuer.subjectName,
        notBefore: new Date(notBefore),
        notAfter: new Date(notAfter),
        publicKey: keys.publicKey,
        signingKey: this.signer.key,
        signingAlgorithm: this.signer.algorithm,
        extensions,
      },
      crypto,
    );
    const keyPem = privateKeyPem(keys.privateKey);
    const certPem = `${cert.toString('pem')}\n`;
    return { keyPem, certPem, context: createSecureContext({ key: keyPem, cert: certPem }) };
  }

  /** Builds the CA from the files' contents; throws (naming files, never contents) when they are unusable. */
  private static async fromPem(keyPem: string, certPem: string): Promise<CertificateAuthority> {
    const key = createPrivateKey(keyPem);
    const nodeCert = new NodeCertificate(certPem);
    if (!nodeCert.ca) throw new Error(`${CA_CERT_FILE} is not a CA certificate`);
    if (!nodeCert.checkPrivateKey(key)) throw new Error(`${CA_KEY_FILE} is not the key of ${CA_CERT_FILE}`);
    const params = signerParams(key);
    const der = key.export({ type: 'pkcs8', format: 'der' });
    const signingKey = await subtle.importKey('pkcs8', der, params.importParams, false, ['sign']);
    const pem = nodeCert.toString();
    return new CertificateAuthority(pem.endsWith('\n') ? pem : `${pem}\n`, nodeCert, {
      key: signingKey,
      algorithm: params.algorithm,
    });
  }

  private static async load(dir: string): Promise<Loaded> {
    let keyPem: string;
    let certPem: string;
    try {
      [keyPem, certPem] = await Promise.all([readFile(join(dir, CA_KEY_FILE), 'utf8'), readFile(join(dir, CA_CERT_FILE), 'utf8')]);
    } catch (error) {
      // One file without the other is an interrupted creation: a key nobody trusts yet, or a cert nobody can use.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'replace' };
      throw error;
    }
    let ca: CertificateAuthority;
    try {
      ca = await CertificateAuthority.fromPem(keyPem, certPem);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        kind: 'invalid',
        error: new Error(`cannot use the CA in ${dir}: ${reason}; remove ${CA_KEY_FILE} and ${CA_CERT_FILE} there to create a new one`),
      };
    }
    // An expired CA signs nothing any client accepts; a new one is the only way forward.
    if (ca.notAfter <= Date.now()) return { kind: 'replace' };
    return { kind: 'ok', ca };
  }
}

/** Writes a new CA: key first, then the certificate, which is the commit point (see `CertificateAuthority.load`). Caller holds the lock. */
async function create(dir: string): Promise<void> {
  const { x509, crypto } = await loadX509();
  const keys = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // The random id tells this CA from other machines' in a trust store listing.
      name: [{ O: ['openshell-term'] }, { CN: [`openshell-term local CA ${randomBytes(4).toString('hex')}`] }],
      notBefore: new Date(now - BACKDATE),
      notAfter: new Date(now + CA_LIFETIME),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
      extensions: [
        // pathlen 0: this CA signs leaves only, never another CA.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  await writeFileAtomic(join(dir, CA_KEY_FILE), privateKeyPem(keys.privateKey), { mode: 0o600 });
  await writeFileAtomic(join(dir, CA_CERT_FILE), `${cert.toString('pem')}\n`, { mode: 0o644 });
}

function signerParams(key: KeyObject): {
  importParams: EcKeyImportParams | RsaHashedImportParams;
  algorithm: EcdsaParams | RsaHashedImportParams;
} {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && (curve === 'prime256v1' || curve === 'secp384r1')) {
    const namedCurve = curve === 'prime256v1' ? 'P-256' : 'P-384';
    return {
      importParams: { name: 'ECDSA', namedCurve },
      algorithm: { name: 'ECDSA', hash: namedCurve === 'P-256' ? 'SHA-256' : 'SHA-384' },
    };
  }
  if (type === 'rsa') {
    const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { importParams: params, algorithm: params };
  }
  throw new Error(`unsupported CA key type ${type}${curve ? ` (${curve})` : ''}: use ECDSA P-256/P-384 or RSA`);
}

function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key as unknown as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }) as string;
}
