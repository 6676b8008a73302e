// The proxy's resolver: overrides, IP literals, and the short cache in front of the system resolver
// (getaddrinfo through /etc/hosts: `localhost` resolves without a network).
import { describe, expect, it } from 'vitest';
import { Resolver } from '../../src/core/net/resolver.js';
import { lookup } from 'node:dns/promises';

function counting(fail = false) {
  const calls: string[] = [];
  return {
    calls,
    lookup: async (host: string) => {
      calls.push(host);
      if (fail) throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
      return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    },
  };
}

describe('Resolver', () => {
  it('answers IP literals and --resolve overrides without asking the system', async () => {
    const system = counting();
    const r = new Resolver(['api.test:10.0.0.7', 'v6.test:[::1]'], { lookup: system.lookup });
    expect(await r.resolve('192.0.2.1')).toEqual(['192.0.2.1']);
    expect(await r.resolve('[2001:db8::1]')).toEqual(['2001:db8::1']);
    expect(await r.resolve('API.test')).toEqual(['10.0.0.7']);
    expect(await r.resolve('v6.test')).toEqual(['::1']);
    expect(system.calls).toEqual([]);
    expect(() => new Resolver(['nocolon'])).toThrow(/HOST:IP/);
  });

  it('asks the system once for concurrent and repeated lookups of a name, within the cache time', async () => {
    const system = counting();
    const r = new Resolver([], { lookup: system.lookup });
    const answers = await Promise.all([r.resolve('localhost'), r.resolve('LOCALHOST'), r.resolve('localhost')]);
    expect(answers[0].length).toBeGreaterThan(0);
    expect(answers[1]).toEqual(answers[0]);
    expect(await r.resolve('localhost')).toEqual(answers[0]);
    expect(system.calls).toEqual(['localhost']);
  });

  it('asks again once the answer is older than cacheMs, and always with cacheMs 0', async () => {
    const system = counting();
    const r = new Resolver([], { lookup: system.lookup, cacheMs: 20 });
    await r.resolve('localhost');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await r.resolve('localhost');
    expect(system.calls).toEqual(['localhost', 'localhost']);
    const uncached = counting();
    const u = new Resolver([], { lookup: uncached.lookup, cacheMs: 0 });
    await u.resolve('localhost');
    await u.resolve('localhost');
    expect(uncached.calls.length).toBe(2);
  });

  it('does not keep failures, and keeps at most cacheEntries names', async () => {
    const failing = counting(true);
    const r = new Resolver([], { lookup: failing.lookup });
    await expect(r.resolve('nowhere.invalid')).rejects.toThrow('no such host');
    await expect(r.resolve('nowhere.invalid')).rejects.toThrow('no such host');
    expect(failing.calls.length).toBe(2);
    const system = counting();
    const small = new Resolver([], { lookup: async (host) => (system.calls.push(host), ['192.0.2.1']), cacheEntries: 2 });
    for (const host of ['a.test', 'b.test', 'c.test', 'a.test']) await small.resolve(host);
    expect(system.calls).toEqual(['a.test', 'b.test', 'c.test', 'a.test']); // a.test was the least recently used, so it went
  });
});
