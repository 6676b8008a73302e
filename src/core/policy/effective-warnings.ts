// What the operator must know about the policy in force (baseline + presets + merges + approvals), as
// plain sentences: endpoints that deny everything because the core cannot enforce them as written,
// rules that do nothing, enforcement spellings read differently from upstream, protocols that are not
// inspected. The core logs these at start and whenever a reload changes them; a console lists them.
import { effectiveRules } from './access.js';
import { compileL7Config, enforcementOf, normalizedProtocol } from './l7/endpoint-config.js';
import type { SandboxPolicy } from './types.js';

export function policyWarnings(policy: SandboxPolicy): string[] {
  const out: string[] = [];
  for (const [key, rule] of Object.entries(policy.network_policies ?? {})) {
    (rule.endpoints ?? []).forEach((ep, i) => {
      const at = `network_policies.${key}.endpoints[${i}] (${ep.host || '<any host>'}:${(ep.ports ?? [ep.port]).join(',')})`;
      const warn = (message: string) => out.push(`${at}: ${message}`);
      const protocol = normalizedProtocol(ep);
      const rules = effectiveRules(ep);
      if (protocol === '' && ((ep.rules?.length ?? 0) > 0 || ep.access)) {
        warn(
          'rules/access are ignored without protocol: all traffic to this endpoint is allowed at L4 (add protocol: rest to enforce them)',
        );
      }
      const enforcement = ep.enforcement ?? '';
      if (enforcement !== '' && enforcement !== 'enforce' && enforcement !== 'audit') {
        warn(
          `enforcement '${enforcement}' is read as '${enforcementOf(ep) ? 'enforce' : 'audit'}' (upstream enforces only the exact spelling 'enforce')`,
        );
      }
      if (protocol !== '' && protocol !== 'tcp' && (ep.enforcement ?? '') === '' && protocol !== 'sql') {
        warn(
          `protocol ${protocol} without enforcement runs in audit mode (upstream's default): requests its rules deny are let through and logged`,
        );
      }
      if (protocol === 'sql') warn('protocol sql is audit-only: connections are allowed at L4 and their SQL is not inspected');
      if ((ep.tls ?? '').toLowerCase() === 'skip' && protocol !== '' && protocol !== 'tcp' && protocol !== 'sql') {
        warn(`tls: skip with protocol ${protocol}: CONNECT tunnels to it are refused (they could not be inspected)`);
      }
      if (ep.tls === 'terminate' || ep.tls === 'passthrough')
        warn(`'tls: ${ep.tls}' is deprecated: remove it (TLS is terminated automatically)`);
      if (protocol !== '' && protocol !== 'tcp') {
        const why = compileL7Config(ep, rules).unenforceable;
        if (why) warn(`denies every request: it cannot be enforced as written (${why})`);
      }
    });
    (rule.binaries ?? []).forEach((b, i) => {
      if (b.harness !== undefined) out.push(`network_policies.${key}.binaries[${i}]: 'harness' is deprecated and ignored: remove it`);
    });
  }
  return out;
}
