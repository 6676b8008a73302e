// Name resolution for the proxy: IP literals as they are, operator overrides (--resolve HOST:IP, like
// curl's, for air-gapped setups and tests), then the system resolver.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export class Resolver {
  private readonly overrides = new Map<string, string[]>();

  /** Entries "HOST:IP" (IPv6 may be bracketed); throws on a malformed one. */
  constructor(entries: string[] = []) {
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
    const override = this.overrides.get(host.toLowerCase());
    if (override) return override;
    const answers = await lookup(host, { all: true, verbatim: true });
    return answers.map((a) => a.address);
  }
}
