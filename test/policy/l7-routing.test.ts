// L7 routing by endpoint `path`: the most specific endpoint decides; a path no endpoint covers is refused
// even in audit mode (upstream denies before audit could apply).
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';

const policy = compilePolicy({
  version: 1,
  network_policies: {
    api: {
      name: 'api',
      endpoints: [
        { host: 'gw.test', port: 443, path: '/repos/**', protocol: 'rest', access: 'read-only' },
        {
          host: 'gw.test',
          port: 443,
          path: '/repos/admin/**',
          protocol: 'rest',
          enforcement: 'enforce',
          rules: [{ allow: { method: 'GET', path: '/repos/admin/status' } }],
        },
      ],
      binaries: [{ path: '/usr/bin/curl' }],
    },
  },
});
const at = (method: string, path: string) => decide(policy, { host: 'gw.test', port: 443, binary: '/usr/bin/curl', method, path });

describe('L7 routing by endpoint path', () => {
  it('every endpoint covering the path may allow; the most specific one sets the enforcement mode', () => {
    expect(at('GET', '/repos/admin/status')).toMatchObject({ outcome: 'allow', stage: 'l7' });
    // As upstream's Rego: the broader read-only /repos/** endpoint also covers this path and allows GET.
    expect(at('GET', '/repos/admin/users')).toMatchObject({ outcome: 'allow', stage: 'l7' });
    // Nothing allows DELETE; /repos/admin/** is the most specific and enforced, so it is refused, not audited.
    expect(at('DELETE', '/repos/admin/users')).toMatchObject({ outcome: 'deny', stage: 'l7', audit: false });
    // /repos/** is audit (no enforcement): a POST there passes, marked audited.
    expect(at('POST', '/repos/x')).toMatchObject({ outcome: 'allow', audit: true });
  });
  it('a path no endpoint covers is refused even though the endpoints are in audit mode', () => {
    expect(at('GET', '/other')).toMatchObject({ outcome: 'deny', stage: 'l7', audit: false });
  });
  it('a NUL byte in a host never matches a wildcard (upstream fails closed)', () => {
    const wild = compilePolicy({
      version: 1,
      network_policies: { w: { name: 'w', endpoints: [{ host: '*.example.com', port: 443 }], binaries: [{ path: '/usr/bin/curl' }] } },
    });
    expect(decide(wild, { host: 'sub\u0000.example.com', port: 443, binary: '/usr/bin/curl' }).outcome).toBe('deny');
    expect(decide(wild, { host: 'sub.example.com', port: 443, binary: '/usr/bin/curl' }).outcome).toBe('allow');
  });
});
