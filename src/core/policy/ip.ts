// IP address parsing and classification for the SSRF guard and allowed_ips. Built on node:net
// (isIP, BlockList) rather than hand-rolled bit twiddling.
import { BlockList, isIP } from 'node:net';
import { boundedMemo } from '../text/bounded-memo.js';

export type AddressClass = 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'internal' | 'public';

const ranges = (entries: Array<[string, number, 'ipv4' | 'ipv6']>) => {
  const list = new BlockList();
  for (const [net, prefix, family] of entries) list.addSubnet(net, prefix, family);
  return list;
};

const LOOPBACK = ranges([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const LINK_LOCAL = ranges([
  ['169.254.0.0', 16, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
]);
const UNSPECIFIED = ranges([
  ['0.0.0.0', 32, 'ipv4'],
  ['::', 128, 'ipv6'],
]);
// Cloud instance-metadata services outside link-local: AWS's IPv6 IMDS (inside fc00::/7, so otherwise merely
// "internal") and Alibaba's 100.100.100.200 (inside CGNAT). Always refused, like 169.254.169.254.
const METADATA = ranges([
  ['fd00:ec2::254', 128, 'ipv6'],
  ['100.100.100.200', 32, 'ipv4'],
]);
// Upstream's is_internal_ip beyond the always-blocked set: RFC 1918, CGNAT, documentation (TEST-NET-1/2/3),
// broadcast, IETF protocol assignments, benchmarking, and IPv6 unique-local.
const INTERNAL = ranges([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['255.255.255.255', 32, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
]);

/** Strips brackets and folds IPv4-mapped IPv6 (::ffff:1.2.3.4) to its IPv4 form, as the kernel would route it.
 *  Memoised, as classifyIp is: the guard normalises the same addresses on every request. */
export const normalizeIp = boundedMemo(
  function normalizeIp(text: string): string | undefined {
    let ip = text.trim();
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    const family = isIP(ip);
    if (family === 0) return undefined;
    if (family === 6) {
      const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
      if (mapped && isIP(mapped[1]) === 4) return mapped[1];
      const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
      if (hexMapped) {
        const hi = parseInt(hexMapped[1], 16);
        const lo = parseInt(hexMapped[2], 16);
        return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
      }
      return ip.toLowerCase();
    }
    return ip;
  },
  1024,
  64,
);

export function ipFamily(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

/** An address's class. Memoised: BlockList.check builds a SocketAddress per call (~6 µs for the four
 *  lists), and the proxy classifies the same few upstream addresses on every request. */
export const classifyIp = boundedMemo(
  function classifyIp(text: string): AddressClass | undefined {
    const ip = normalizeIp(text);
    if (!ip) return undefined;
    const family = ipFamily(ip);
    if (UNSPECIFIED.check(ip, family)) return 'unspecified';
    if (LOOPBACK.check(ip, family)) return 'loopback';
    if (LINK_LOCAL.check(ip, family)) return 'link-local';
    if (METADATA.check(ip, family)) return 'metadata';
    if (INTERNAL.check(ip, family)) return 'internal';
    return 'public';
  },
  1024,
  64,
);

export function isIpLiteral(host: string): boolean {
  return normalizeIp(host) !== undefined;
}

export interface Cidr {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses "10.0.0.0/8", "10.0.0.5" (a /32) or "fd00::/8"; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const ip = normalizeIp(addr);
  if (!ip) return undefined;
  const family = ipFamily(ip);
  const max = family === 'ipv4' ? 32 : 128;
  if (prefixText === undefined) return { network: ip, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { network: ip, prefix, family };
}

/** A compiled allowed_ips list, one list per family: an IPv4 CIDR never contains an IPv4-mapped IPv6 address. */
export interface AllowedIps {
  v4: BlockList;
  v6: BlockList;
}

export function compileAllowedIps(entries: readonly string[]): AllowedIps {
  const lists: AllowedIps = { v4: new BlockList(), v6: new BlockList() };
  for (const entry of entries) {
    const [address, prefixText] = entry.trim().split('/');
    const bare = address.replace(/^\[|\]$/g, '');
    const cidr = parseCidr(entry);
    if (!cidr) continue;
    if (isIP(bare) === 6) lists.v6.addSubnet(bare, prefixText === undefined ? 128 : Number(prefixText), 'ipv6');
    else lists.v4.addSubnet(cidr.network, cidr.prefix, 'ipv4');
  }
  return lists;
}

export function ipInList(lists: AllowedIps, text: string): boolean {
  let ip = text.trim();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const family = isIP(ip);
  if (family === 4) return lists.v4.check(ip, 'ipv4');
  return family === 6 && lists.v6.check(ip, 'ipv6');
}

/**
 * Loopback, link-local, cloud metadata and unspecified: never reachable, whatever the policy says — except
 * loopback when the operator started the core with --allow-loopback (local services, tests).
 */
export function isAlwaysBlocked(text: string, allowLoopback = false): boolean {
  const c = classifyIp(text);
  return (c === 'loopback' && !allowLoopback) || c === 'link-local' || c === 'metadata' || c === 'unspecified';
}

/** Does this CIDR overlap an always-blocked range? Such allowed_ips entries could never work, so they are refused. */
export function overlapsAlwaysBlocked(cidr: Cidr): boolean {
  const probe = new BlockList();
  probe.addSubnet(cidr.network, cidr.prefix, cidr.family);
  // Two prefixes overlap exactly when one contains the other's network address.
  const blockedNetworks = cidr.family === 'ipv4' ? ['127.0.0.0', '169.254.0.0', '0.0.0.0'] : ['::1', 'fe80::', '::'];
  const blockedRanges = [LOOPBACK, LINK_LOCAL, UNSPECIFIED];
  return (
    blockedNetworks.some((ip) => probe.check(ip, cidr.family)) || blockedRanges.some((range) => range.check(cidr.network, cidr.family))
  );
}

/** Why an allowed_ips entry can never admit anything, or undefined when it is usable. */
export function allowedIpProblem(entry: string): string | undefined {
  const cidr = parseCidr(entry);
  if (!cidr) return `invalid CIDR/IP in allowed_ips: ${entry}`;
  if (overlapsAlwaysBlocked(cidr)) {
    return `allowed_ips entry ${entry} falls within always-blocked range (loopback/link-local/unspecified)`;
  }
  return undefined;
}
