// The audit log writes network records with a serializer that skips building the OCSF object; it must give
// exactly what JSON.stringify of that object gives, for every shape of event.
import { describe, expect, it } from 'vitest';
import type { NetworkEvent } from '../../src/core/audit/audit-log.js';
import { networkActivity, networkActivityJson } from '../../src/core/audit/ocsf.js';

const hosts = [
  'pypi.org',
  '10.0.0.7',
  '::1',
  '2001:db8::1',
  'xn--bcher-kva.example',
  'quote"back\\slash.test',
  'ctl\u0007\u001b[31m.test',
  'ünï.test',
];
const binaries = ['/usr/bin/curl', 'unknown', '/opt/weird path/"q"/bin', '/usr/bin/pÿthon3', '/\u0000odd'];
const reasons = [
  'no policy matches pypi.org:443',
  'denied by policy \'x\': "quoted" and \\ backslash\nnew line\ttab',
  'token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 in the reason',
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig leaked',
  '\u2028line separator\u2029 and emoji 🚀',
];
const paths = [
  undefined,
  '/',
  '/simple/requests/',
  '/api/v1/users/ghp_abcdefghijklmnopqrstuvwxyz0123456789/repos',
  '/%e2%82%ac/ü?no=query',
];

function* events(): Generator<NetworkEvent> {
  let i = 0;
  for (const action of ['allowed', 'denied', 'held'] as const)
    for (const audit of [undefined, false, true])
      for (const host of hosts)
        for (const path of paths) {
          i++;
          yield {
            action,
            host,
            port: [443, 80, 8080, 1][i % 4],
            binary: binaries[i % binaries.length],
            pid: i % 3 === 0 ? undefined : 1000 + i,
            method: i % 4 === 0 ? undefined : ['GET', 'POST', 'CONNECT'][i % 3],
            path,
            policy: i % 5 === 0 ? null : `policy-${i % 7}`,
            stage: ['l4', 'l7', 'ssrf', 'no_match'][i % 4],
            reason: reasons[i % reasons.length],
            audit,
            requestId: i % 2 === 0 ? undefined : `req-${i}`,
          };
        }
}

describe('networkActivityJson', () => {
  it('equals JSON.stringify(networkActivity(...)) for every combination of fields', () => {
    let checked = 0;
    for (const event of events()) {
      const time = 1_796_000_000_000 + checked;
      expect(networkActivityJson(event, time)).toBe(JSON.stringify(networkActivity(event, time)));
      checked++;
    }
    expect(checked).toBe(3 * 3 * hosts.length * paths.length);
  });

  it('is valid JSON whose secrets are redacted', () => {
    const line = networkActivityJson(
      {
        action: 'denied',
        host: 'h.test',
        port: 443,
        binary: '/usr/bin/curl',
        path: paths[3],
        policy: null,
        stage: 'l7',
        reason: reasons[2],
      },
      1,
    );
    const parsed = JSON.parse(line);
    expect(parsed.unmapped.url_path).not.toContain('ghp_');
    expect(parsed.message).not.toContain('ghp_');
  });
});
