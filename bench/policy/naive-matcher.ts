// The baseline: a linear scan over every endpoint of every rule per request (host globs precompiled,
// so the comparison measures the index, not regex compilation). Same L4 semantics as the real matcher.
import { compileHostPattern } from '../../src/core/policy/host-pattern.js';
import { compileGlob } from '../../src/core/policy/glob.js';
import type { DecisionRequest, SandboxPolicy } from '../../src/core/policy/types.js';

interface Entry {
  key: string;
  host: (h: string) => boolean;
  ports: Set<number>;
  binary: (b: string) => boolean;
}

export function naiveMatcher(policy: SandboxPolicy): (r: DecisionRequest) => 'allow' | 'deny' {
  const entries: Entry[] = [];
  for (const [key, rule] of Object.entries(policy.network_policies)) {
    const binaries = rule.binaries.map((b) => (b.path.includes('*') ? compileGlob(b.path, ['/']) : (x: string) => x === b.path));
    const binary = (b: string) => binaries.some((m) => m(b));
    for (const ep of rule.endpoints) {
      const h = ep.host ?? '';
      const host = h.includes('*') ? compileHostPattern(h) : (x: string) => x.toLowerCase() === h.toLowerCase();
      entries.push({ key, host, ports: new Set(ep.ports ?? (ep.port ? [ep.port] : [])), binary });
    }
  }
  return (r) => {
    for (const e of entries) if (e.ports.has(r.port) && e.host(r.host) && e.binary(r.binary)) return 'allow';
    return 'deny';
  };
}
