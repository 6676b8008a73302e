// The forwarded path is the policy's canonical path: the shortcut for plain paths (no escapes, dots,
// doubled slashes or parameters) must give exactly what canonicalizePath gives, and every path the
// slow way lets through must be a fixed point of canonicalisation (forwarding it again changes nothing).
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalizePath } from '../../src/core/policy/canonical-path.js';
import { forwardablePath } from '../../src/core/proxy/forwardable-path.js';

const PLAIN_CHARS = "abcXYZ019-._~!$&'()*+,=:@";
const ANY_CHARS = `${PLAIN_CHARS}/%;\\?#2eE5cCfF`;

function randomPath(chars: string, maxSegments = 6): string {
  let path = '';
  for (let s = randomInt(0, maxSegments); s >= 0; s--) {
    path += '/';
    for (let c = randomInt(0, 8); c > 0; c--) path += chars[randomInt(0, chars.length)];
  }
  return path;
}

describe('forwardablePath', () => {
  it('gives the canonical path for 5,000 random plain paths (the shortcut is exact)', () => {
    for (let i = 0; i < 5_000; i++) {
      const path = randomPath(PLAIN_CHARS);
      const canonical = canonicalizePath(path, true);
      const forwarded = forwardablePath(path);
      if (!canonical.ok) {
        expect('refused' in forwarded, path).toBe(true);
        continue;
      }
      expect(forwarded, path).toEqual({ path: canonical.path, query: canonical.query });
    }
  });

  it('forwards only fixed points of canonicalisation for 5,000 random hostile paths', () => {
    for (let i = 0; i < 5_000; i++) {
      const path = randomPath(ANY_CHARS);
      const forwarded = forwardablePath(path);
      if ('refused' in forwarded) continue;
      const again = canonicalizePath(forwarded.path, true);
      expect(again.ok && again.path, path).toBe(forwarded.path);
      expect(forwarded.path, path).not.toMatch(/\\|%5C|%25[0-9A-F]{2}|;|\/\.\.?(\/|$)|\/\//i);
    }
  });
});
