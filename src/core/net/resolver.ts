// Name resolution for the proxy: IP literals as they are, operator overrides (--resolve HOST:IP, like
// curl's, for air-gapped setups and tests), then the system resolver (getaddrinfo, so /etc/hosts and
// nsswitch apply as for any program here).
//
// System answers are kept for a few seconds, and concurrent lookups of one name share one query:
// getaddrinfo runs on libuv's small thread pool, and an agent fetching many files from one host would
// otherwise queue a query per request. Failures are not kept. Every answer, cached or not, still goes
// through the proxy's destination guard.
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { LruCache } from '../lru-cache.js';

type Lookup = (host: string) => Promise<string[]>;

export interface ResolverOptions {
  /** How long a system answer is reused (default 10 s; 0 = ask every time). */
  cacheMs?: number;
  /** Names kept at most (default 1024; the least recently used go first). */
  cacheEntries?: number;
  /** The system lookup (tests count calls through it). */
  lookup?: Lookup;
}

const getaddrinfo: Lookup = async (host) => (await systemLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export class Resolver {
  private readonly overrides = new Map<string, string[]>();
  private readonly answers: LruCache<string, { ips: Promise<string[]>; expires: number }>;
  private readonly cacheMs: number;
  private readonly lookup: Lookup;

  /** Entries "HOST:IP" (IPv6 may be bracketed); throws on a malformed one. */
  constructor(entries: string[] = [], options: ResolverOptions = {}) {
    this.cacheMs = options.cacheMs ?? 10_000;
    this.answers = new LruCache(options.cacheEntries ?? 1024);
    this.lookup = options.lookup ?? getaddrinfo;
    for (const entry of entries) {
      const colon = entry.indexOf(':');
      const host = entry.slice(0, colon).toLowerCase();
      const ip = entry.slice(colon + 1).replace(/^\[|\]$/g, '');
      if (colon <= 0 || isIP(ip) === 0) throw new Error(`--resolve expects HOST:IP, got '${entry}'`);
      const list = this.overrides.get(host) ?? [];
      list.push(ip);
      this.overrides.set(host, list);
    }
  }

  async resolve(host: string): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare) !== 0) return [bare];
    const name = host.toLowerCase();
    const override = this.overrides.get(name);
    if (override) return override;
    const now = performance.now();
    const cached = this.answers.get(name);
    if (cached && cached.expires > now) return cached.ips;
    const ips = this.lookup(name);
    if (this.cacheMs > 0) {
      const entry = { ips, expires: now + this.cacheMs };
      this.answers.set(name, entry);
      ips.catch(() => this.answers.deleteIf(name, entry));
    }
    return ips;
  }
}
