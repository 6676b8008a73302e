import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/core/lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry, where a read counts as a use', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.size]).toEqual([1, 3, 2]);
  });

  it('deleteIf removes an entry only while it holds that value', () => {
    const cache = new LruCache<string, object>(4);
    const old = {};
    const replacement = {};
    cache.set('k', old);
    cache.set('k', replacement);
    cache.deleteIf('k', old);
    expect(cache.get('k')).toBe(replacement);
    cache.deleteIf('k', replacement);
    expect(cache.get('k')).toBeUndefined();
  });

  it('rejects a useless capacity', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
