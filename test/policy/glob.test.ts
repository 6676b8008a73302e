// Glob semantics as upstream's Rego engine (regorus + wax) applies them.
import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/core/policy/glob.js';
import { compileHostPattern, hostPatternError, literalSuffix } from '../../src/core/policy/host-pattern.js';

describe('glob with "." delimiter (hosts)', () => {
  const host = (pattern: string, value: string) => compileHostPattern(pattern)(value);
  it('* stays inside one label', () => {
    expect(host('*.example.com', 'api.example.com')).toBe(true);
    expect(host('*.example.com', 'a.b.example.com')).toBe(false);
    expect(host('*.example.com', 'example.com')).toBe(false);
  });
  it('** as the first label spans one or more labels, never the apex', () => {
    expect(host('**.example.com', 'api.example.com')).toBe(true);
    expect(host('**.example.com', 'a.b.c.example.com')).toBe(true);
    expect(host('**.example.com', 'example.com')).toBe(false);
  });
  it('partial-label and middle wildcards', () => {
    expect(host('*-aiplatform.googleapis.com', 'us-central1-aiplatform.googleapis.com')).toBe(true);
    expect(host('*-aiplatform.googleapis.com', 'aiplatform.googleapis.com')).toBe(false);
    expect(host('*.s3.*.amazonaws.com', 'bucket.s3.us-east-1.amazonaws.com')).toBe(true);
    expect(host('*.s3.*.amazonaws.com', 'bucket.s3.amazonaws.com')).toBe(false);
  });
  it('is case-insensitive', () => {
    expect(host('*.Example.COM', 'API.example.com')).toBe(true);
  });
  it('does not match look-alike suffixes', () => {
    expect(host('*.example.com', 'api.example.com.evil.net')).toBe(false);
    expect(host('*.example.com', 'apiexample.com')).toBe(false);
  });
});

describe('glob with "/" delimiter (paths, binaries)', () => {
  const path = (pattern: string, value: string) => globMatch(pattern, ['/'], value);
  it('* matches within a segment', () => {
    expect(path('/repos/*', '/repos/x')).toBe(true);
    expect(path('/repos/*', '/repos/x/y')).toBe(false);
    expect(path('/repos/*/issues', '/repos/x/issues')).toBe(true);
  });
  it('** matches across segments, including none', () => {
    expect(path('/repos/**', '/repos/x/y/z')).toBe(true);
    expect(path('/repos/**', '/repos/')).toBe(true);
    expect(path('/repos/**', '/repos')).toBe(false); // upstream: "foo/**" does not match "foo"
    expect(path('/**', '/')).toBe(true);
    expect(path('/a/**/z', '/a/z')).toBe(true);
    expect(path('/a/**/z', '/a/b/c/z')).toBe(true);
    expect(path('/a/**/z', '/a/b/c/y')).toBe(false);
  });
  it('** glued to other characters is not a valid glob and matches nothing', () => {
    expect(path('/a**', '/abc')).toBe(false);
  });
  it('?, classes and alternatives', () => {
    expect(path('/v?/x', '/v1/x')).toBe(true);
    expect(path('/v[12]/x', '/v2/x')).toBe(true);
    expect(path('/v[!12]/x', '/v2/x')).toBe(false);
    expect(path('/{a,b}/x', '/b/x')).toBe(true);
    expect(path('/{a,b}/x', '/c/x')).toBe(false);
  });
  it('binary globs', () => {
    expect(path('/usr/bin/*', '/usr/bin/curl')).toBe(true);
    expect(path('/usr/**', '/usr/lib/node/bin/node')).toBe(true);
    expect(path('/usr/bin/python3*', '/usr/bin/python3.11')).toBe(true);
  });
});

describe('glob with the default delimiter (query values)', () => {
  it('an empty delimiter list means ".", as regorus does', () => {
    expect(globMatch('v*', [], 'v1')).toBe(true);
    expect(globMatch('v*', [], 'v1.2')).toBe(false);
    expect(globMatch('NVIDIA/*', [], 'NVIDIA/OpenShell')).toBe(true);
  });
});

describe('host pattern validation', () => {
  it.each(['*.example.com', '**.example.com', '*-aiplatform.googleapis.com', '*.s3.*.amazonaws.com', 'api.github.com'])(
    'accepts %s',
    (h) => {
      expect(hostPatternError(h)).toBeUndefined();
    },
  );
  it.each([
    ['*', 'matches all hosts'],
    ['**', 'matches all hosts'],
    ['*.com', 'TLD wildcard'],
    ['foo.us-*.example.com', 'must be the entire label'],
    ['foo.**.example.com', "'**' is only allowed as the entire first DNS label"],
    ['foo**.example.com', "'**' is only allowed as the entire first DNS label"],
  ])('rejects %s, naming it', (h, message) => {
    const error = hostPatternError(h);
    expect(error).toContain(message);
    expect(error).toContain(`'${h}'`);
  });
  it('indexes wildcards by their literal suffix', () => {
    expect(literalSuffix('*.s3.*.amazonaws.com')).toBe('amazonaws.com');
    expect(literalSuffix('**.Example.com')).toBe('example.com');
    expect(literalSuffix('*-aiplatform.googleapis.com')).toBe('googleapis.com');
  });
});
