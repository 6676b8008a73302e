// Path canonicalisation, with the cases of upstream's l7/path.rs tests (NVIDIA/OpenShell, Apache-2.0).
import { describe, expect, it } from 'vitest';
import { canonicalizePath, MAX_PATH_BYTES } from '../../src/core/policy/canonical-path.js';

const canon = (input: string, allowEncodedSlash = false) => {
  const r = canonicalizePath(input, allowEncodedSlash);
  return r.ok ? r.path : `ERR: ${r.error}`;
};

describe('canonicalizePath', () => {
  it.each([
    ['/a/./b', '/a/b'],
    ['/a/b/.', '/a/b/'],
    ['/a/../b', '/b'],
    ['/a/b/..', '/a/'],
    ['/public/%2e%2e/secret', '/secret'],
    ['/public/%2E%2E/secret', '/secret'],
    ['/public/%2e/secret', '/public/secret'],
    ['//', '/'],
    ['//public//../secret', '/secret'],
    ['/public//secret', '/public/secret'],
    ['http://host/a/../b', '/b'],
    ['https://host', '/'],
    ['http://host:443/foo', '/foo'],
    ['/search/a%3Fb', '/search/a%3Fb'],
    ['/users/%40alice', '/users/@alice'],
    ['/a;jsessionid=xyz/b', '/a/b'],
    ['/public;x=1/../secret', '/secret'],
    ['/users/caf%C3%A9', '/users/caf%C3%A9'],
    ['/a/caf%c3%a9', '/a/caf%C3%A9'],
    ['', '/'],
    ['/', '/'],
    ['/public/./../secret', '/secret'],
    ['/public/..;/secret', '/secret'],
    ['/public/..;x/secret', '/secret'],
    ['/public/.;/secret', '/public/secret'],
    ['/public/%2e%2e;/secret', '/secret'],
    ['/public/..%3B/secret', '/secret'],
    ['/a/%252F/b', '/a/%252F/b'],
    ['/a/100%25/b', '/a/100%25/b'],
  ])('%s → %s', (input, expected) => {
    expect(canon(input)).toBe(expected);
  });

  it('separates the query and keeps it verbatim', () => {
    expect(canonicalizePath('/a?q=1&r=2')).toEqual({ ok: true, path: '/a', query: 'q=1&r=2' });
    expect(canonicalizePath('/fetch/http://example.test?next=http://other.test')).toEqual({
      ok: true,
      path: '/fetch/http:/example.test',
      query: 'next=http://other.test',
    });
  });

  it.each([
    ['/..', 'escape the path root'],
    ['/../a', 'escape the path root'],
    ['/a/../../b', 'escape the path root'],
    ['/..;', 'escape the path root'],
    ['/public/..;/..;/..;/secret', 'escape the path root'],
    ['/a/%2f/b', "encoded '/'"],
    ['/a/%2F/b', "encoded '/'"],
    ['/a%00b', 'control byte'],
    ['/a%0Ab', 'control byte'],
    ['/a%0Db', 'control byte'],
    ['/a%7Fb', 'control byte'],
    ['/a\u0001b', 'control byte'],
    ['/a#frag', 'fragment'],
    ['/a\u00e9', 'non-ASCII'],
    ['/a%zz', 'invalid percent'],
    ['/a%4', 'invalid percent'],
    ['relative/path', 'origin-form'],
    [`/${'a'.repeat(MAX_PATH_BYTES)}`, 'maximum length'],
  ])('refuses %s', (input, fragment) => {
    expect(canon(input)).toContain(fragment);
  });

  it('keeps %2F only where the endpoint allows encoded slashes', () => {
    expect(canon('/a/%2f/b', true)).toBe('/a/%2F/b');
    expect(canon('/repos/group%2fproject/issues', true)).toBe('/repos/group%2Fproject/issues');
    // A ".." hidden behind an encoded slash would survive resolution: refused outright.
    for (const smuggled of ['/public/..%2fsecret', '/public/..%2f..%2fsecret', '/public/.%2fsecret']) {
      expect(canon(smuggled, true)).toContain('still contains a `.`/`..` segment');
    }
  });
});
