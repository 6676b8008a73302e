// The destination (SSRF) guard: address classes and the four plans of upstream's proxy/destination.rs.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { classifyIp, normalizeIp, overlapsAlwaysBlocked, parseCidr } from '../../src/core/policy/ip.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';
import type { NetworkEndpoint, SandboxPolicy } from '../../src/core/policy/types.js';

const policyWith = (...endpoints: NetworkEndpoint[]): SandboxPolicy => ({
  version: 1,
  network_policies: { p: { name: 'p', endpoints, binaries: [{ path: '/usr/bin/curl' }] } },
});
const check = (policy: SandboxPolicy, host: string, port: number, resolved_ips?: string[]) =>
  decide(compilePolicy(policy), { host, port, binary: '/usr/bin/curl', resolved_ips });

describe('address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'internal'],
    ['172.16.0.1', 'internal'],
    ['192.168.1.1', 'internal'],
    ['100.64.0.1', 'internal'],
    ['192.0.2.1', 'internal'],
    ['198.18.0.1', 'internal'],
    ['fd00::1', 'internal'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyIp(ip)).toBe(cls);
  });
  it('normalises brackets and mapped forms', () => {
    expect(normalizeIp('[::1]')).toBe('::1');
    expect(normalizeIp('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(normalizeIp('not-an-ip')).toBeUndefined();
  });
  it('refuses allowed_ips ranges that overlap always-blocked space', () => {
    expect(overlapsAlwaysBlocked(parseCidr('0.0.0.0/0')!)).toBe(true);
    expect(overlapsAlwaysBlocked(parseCidr('127.0.0.1')!)).toBe(true);
    expect(overlapsAlwaysBlocked(parseCidr('169.254.0.0/24')!)).toBe(true);
    expect(overlapsAlwaysBlocked(parseCidr('::/0')!)).toBe(true);
    expect(overlapsAlwaysBlocked(parseCidr('10.0.0.0/8')!)).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0/8')).toBeUndefined();
  });
});

describe('destination plans', () => {
  it('exact declared host: private addresses pass, always-blocked never', () => {
    const p = policyWith({ host: 'db.internal', port: 5432 });
    expect(check(p, 'db.internal', 5432, ['10.0.0.5']).outcome).toBe('allow');
    const blocked = check(p, 'db.internal', 5432, ['127.0.0.1']);
    expect(blocked).toMatchObject({ outcome: 'deny', stage: 'ssrf', policy: 'p' });
    expect(blocked.reason).toContain('always-blocked');
    expect(check(p, 'db.internal', 5432, ['169.254.169.254']).stage).toBe('ssrf');
  });
  it('wildcard host: public addresses only', () => {
    const p = policyWith({ host: '*.example.com', port: 443 });
    expect(check(p, 'api.example.com', 443, ['93.184.216.34']).outcome).toBe('allow');
    const internal = check(p, 'api.example.com', 443, ['10.0.0.5']);
    expect(internal).toMatchObject({ outcome: 'deny', stage: 'ssrf' });
    expect(internal.reason).toContain('internal address 10.0.0.5');
    // Any one bad address in the answer refuses the whole destination.
    expect(check(p, 'api.example.com', 443, ['93.184.216.34', '192.168.1.1']).stage).toBe('ssrf');
  });
  it('allowed_ips: every address inside them, always-blocked still refused', () => {
    const p = policyWith({ host: '*.corp.example.com', port: 443, allowed_ips: ['10.0.5.0/24'] });
    expect(check(p, 'git.corp.example.com', 443, ['10.0.5.20']).outcome).toBe('allow');
    expect(check(p, 'git.corp.example.com', 443, ['10.0.6.20']).reason).toContain('not in allowed_ips');
  });
  it('hostless endpoint matches any host on its port, bounded by allowed_ips', () => {
    const p = policyWith({ port: 8080, allowed_ips: ['10.0.0.0/16'] });
    expect(check(p, 'anything.local', 8080, ['10.0.3.4']).outcome).toBe('allow');
    expect(check(p, 'anything.local', 8080, ['8.8.8.8']).stage).toBe('ssrf');
    expect(check(p, 'anything.local', 8081, ['10.0.3.4']).stage).toBe('no_match');
  });
  it('IP-literal request host is its own allowlist; loopback literal is refused', () => {
    const p = policyWith({ host: '10.0.0.7', port: 9000 }, { host: '127.0.0.1', port: 9000 });
    expect(check(p, '10.0.0.7', 9000).outcome).toBe('allow');
    expect(check(p, '127.0.0.1', 9000)).toMatchObject({ outcome: 'deny', stage: 'ssrf' });
  });
  it('IPv6 literals that end in a letter are still checked', () => {
    const p = policyWith({ port: 443, allowed_ips: ['2001:db8::/32'] }, { host: 'fe80::1a', port: 443 });
    expect(check(p, 'fe80::1a', 443)).toMatchObject({ outcome: 'deny', stage: 'ssrf' });
    expect(check(p, '[fe80::1a]', 443).outcome).toBe('deny');
  });
  it('control-plane ports are refused even for declared hosts', () => {
    const p = policyWith({ host: 'kubernetes.default.svc', port: 6443 });
    expect(check(p, 'kubernetes.default.svc', 6443, ['10.96.0.1']).reason).toContain('control-plane port');
  });
  it('an empty answer and garbage addresses are refused', () => {
    const p = policyWith({ host: 'api.example.com', port: 443 });
    expect(check(p, 'api.example.com', 443, []).reason).toContain('no addresses');
    expect(check(p, 'api.example.com', 443, ['nope']).stage).toBe('ssrf');
  });
  it('without resolved addresses only host-based checks apply', () => {
    const p = policyWith({ host: '*.example.com', port: 443 });
    expect(check(p, 'api.example.com', 443).outcome).toBe('allow');
  });
});
