// Synthetic policies and request streams for the policy benchmarks: N endpoints, 90% exact hosts and
// 10% wildcards, spread over rules of 5 endpoints each, two binaries per rule.
import type { DecisionRequest, NetworkEndpoint, SandboxPolicy } from '../../src/core/policy/types.js';

export function syntheticPolicy(endpoints: number): SandboxPolicy {
  const network_policies: SandboxPolicy['network_policies'] = {};
  for (let i = 0; i < endpoints; i += 5) {
    const eps: NetworkEndpoint[] = [];
    for (let j = i; j < Math.min(i + 5, endpoints); j++) {
      eps.push(j % 10 === 9 ? { host: `*.svc${j}.example.com`, port: 443 } : { host: `api${j}.example.com`, port: 443 });
    }
    network_policies[`rule_${i}`] = { name: `rule_${i}`, endpoints: eps, binaries: [{ path: '/usr/bin/curl' }, { path: '/usr/bin/node' }] };
  }
  return { version: 1, network_policies };
}

/** Half the requests hit an endpoint (exact or wildcard), half miss. Deterministic. */
export function syntheticRequests(endpoints: number, count: number): DecisionRequest[] {
  const out: DecisionRequest[] = [];
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < count; k++) {
    const j = Math.floor(rand() * endpoints);
    const hit = rand() < 0.5;
    const host = !hit ? `miss${j}.other.net` : j % 10 === 9 ? `a.svc${j}.example.com` : `api${j}.example.com`;
    out.push({ host, port: 443, binary: rand() < 0.9 ? '/usr/bin/curl' : '/usr/bin/python3' });
  }
  return out;
}
