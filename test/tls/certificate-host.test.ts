import { describe, expect, it } from 'vitest';
import { certificateHost } from '../../src/core/tls/certificate-host.js';

describe('certificateHost', () => {
  it('keeps IP literals as IPs, without brackets', () => {
    expect(certificateHost('127.0.0.1')).toEqual({ name: '127.0.0.1', kind: 'ip' });
    expect(certificateHost('[::1]')).toEqual({ name: '::1', kind: 'ip' });
    expect(certificateHost('2001:DB8:0:0::1')).toEqual({ name: '2001:db8::1', kind: 'ip' });
    expect(certificateHost('::ffff:127.0.0.1')).toEqual({ name: '::ffff:7f00:1', kind: 'ip' });
  });

  it('lower-cases DNS names, drops the root dot, and spells IDNs as punycode', () => {
    expect(certificateHost('API.GitHub.com.')).toEqual({ name: 'api.github.com', kind: 'dns' });
    expect(certificateHost('bücher.example')).toEqual({ name: 'xn--bcher-kva.example', kind: 'dns' });
    expect(certificateHost('_dmarc.example.com').name).toBe('_dmarc.example.com');
    expect(certificateHost('localhost').name).toBe('localhost');
  });

  it('refuses what no certificate can name', () => {
    const bad = [
      '',
      '.',
      'a b.example',
      '*.example.com',
      '-x.example',
      'x-.example',
      'a..example',
      `${'a'.repeat(64)}.example`,
      `${'a.'.repeat(127)}ab`,
      '127.1',
      '1.2.3',
      'fe80::1%eth0',
      'ex"ample.com',
    ];
    for (const host of bad) expect(() => certificateHost(host), host).toThrow(/not a host name/);
  });
});
