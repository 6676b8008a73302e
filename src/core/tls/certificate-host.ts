// The host a leaf is issued for, in the form its subjectAltName needs: an IP literal becomes an iPAddress
// entry (clients never match IPs against dNSName), anything else a dNSName in ASCII (IDNs as punycode).
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export interface CertificateHost {
  /** Canonical form, also the cache key: lower case, no brackets or trailing dot, IPv6 compressed. */
  name: string;
  kind: 'dns' | 'ip';
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

export function certificateHost(host: string): CertificateHost {
  let name = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // A zone id (fe80::1%eth0) has no place in a certificate; it falls through to the DNS check and is refused.
  if (isIP(name) === 4) return { name, kind: 'ip' };
  // IPv6 in the URL standard's canonical spelling, so `2001:DB8:0::1` and `2001:db8::1` share a leaf.
  if (isIP(name) === 6 && !name.includes('%')) return { name: new URL(`http://[${name}]/`).hostname.slice(1, -1), kind: 'ip' };
  if (name.endsWith('.')) name = name.slice(0, -1);
  const ascii = /^[\x21-\x7e]*$/.test(name) ? name.toLowerCase() : domainToASCII(name);
  const labels = ascii.split('.');
  // An all-digit last label is no DNS name: clients would parse `127.1` or `1.2.3` as an IPv4 address.
  if (ascii.length > 253 || !labels.every((label) => LABEL.test(label)) || /^\d+$/.test(labels[labels.length - 1])) {
    throw new TypeError(`not a host name a certificate can name: ${JSON.stringify(host.slice(0, 100))}`);
  }
  return { name: ascii, kind: 'dns' };
}
