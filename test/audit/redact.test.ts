// The audit log's privacy rule: no query strings, no ';' parameters, no token-looking path segments.
import { describe, expect, it } from 'vitest';
import { REDACTED, looksLikeToken, redactPath, redactText } from '../../src/core/audit/redact.js';

describe('redactPath', () => {
  it('drops query strings, fragments and ;parameters entirely', () => {
    expect(redactPath('/repos/x?token=secret')).toBe('/repos/x');
    expect(redactPath('/search?q=a&key=b#frag')).toBe('/search');
    expect(redactPath('/a#x?y')).toBe('/a');
    expect(redactPath('/app;jsessionid=0AB12CD/page;v=1')).toBe('/app/page');
    expect(redactPath('?only')).toBe('');
  });

  it('redacts segments that look like tokens', () => {
    expect(redactPath('/v1/keys/ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5/x')).toBe(`/v1/keys/${REDACTED}/x`);
    expect(redactPath('/objects/3f786850e387550fdab836ed7e6dc881de23001b')).toBe(`/objects/${REDACTED}`);
    expect(redactPath('/api/webhooks/123/Ab-cd_EfGh1jKlmnOp2qRs-tU')).toBe(`/api/webhooks/123/${REDACTED}`);
    expect(redactPath('/jwt/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc')).toBe(`/jwt/${REDACTED}`);
    // Percent-encoding does not hide a token.
    expect(redactPath('/k/sk%2DAbCdEfGh1234567890abcdXYZ')).toBe(`/k/${REDACTED}`);
  });

  it('keeps ordinary names readable', () => {
    for (const path of [
      '/',
      '/repos/openshell/openshell-term/pulls',
      '/simple/requests/',
      '/packages/Django-4.2.7-py3-none-any.whl',
      '/files/python_dateutil-2.8.2-py2.py3-none-any.whl',
      '/v2/library/node/manifests/20-alpine',
      '/users/123e4567-e89b-12d3-a456-426614174000',
      '/internationalization/localisation-guidelines',
    ]) {
      expect(redactPath(path)).toBe(path);
    }
  });
});

describe('redactText', () => {
  it('cuts query strings out of words and redacts token-like pieces, leaving prose alone', () => {
    expect(redactText('GET /x?token=secret not permitted by policy')).toBe('GET /x not permitted by policy');
    expect(redactText('see https://h.example/cb?code=abc and /ok')).toBe('see https://h.example/cb and /ok');
    expect(redactText('key AKIAIOSFODNN7EXAMPLE leaked')).toBe(`key ${REDACTED} leaked`);
    expect(redactText("binary '/usr/bin/gh' not allowed in policy 'github'; why? #12")).toBe(
      "binary '/usr/bin/gh' not allowed in policy 'github'; why? #12",
    );
  });

  it('classifies pieces, not prose', () => {
    expect(looksLikeToken('abcdefghijklmnopqrstuvwxyz')).toBe(false); // no digits: a word
    expect(looksLikeToken('12345678901234567890')).toBe(false); // digits only, under 32: an id
    expect(looksLikeToken('a1b2c3d4e5f6g7h8i9j0')).toBe(true);
  });
});
