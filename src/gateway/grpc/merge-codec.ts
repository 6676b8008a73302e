// PolicyMergeOperation messages ↔ our MergeOperation objects (UpdateConfig's merge_operations).
// 0.1.0 (`current`) replaced add_allow_rules / add_deny_rules' host+port with a full L7RuleTarget:
// the rule name, host, every port, the path selector and every binary (or any_binary), all of which
// must match the stored endpoint — so an append can never land on an endpoint the caller did not see.
import { MergeError, type MergeOperation, type NetworkPolicies } from '../../core/policy/merge-operations.js';
import type { NetworkEndpoint, NetworkPolicyRule } from '../../core/policy/types.js';
import { type PolicyGeneration, ruleFromProto, ruleToProto, selectorsFromProto, selectorToProto } from './policy-codec.js';
import { bool, isWire, list, num, obj, str, type Wire } from './wire.js';

/** An L7 append's target, as 0.1.x names it. */
export interface L7Target {
  rule_name: string;
  host: string;
  ports: number[];
  path?: string;
  binaries: string[];
  any_binary: boolean;
}

export interface DecodedMerge {
  operations: MergeOperation[];
  /** Targets of the L7 appends (0.1.x), to check against the live policy before applying. */
  targets: L7Target[];
}

function targetFromProto(message: Wire, index: number): L7Target {
  if (!isWire(message.target)) throw new MergeError(`merge_operations[${index}]: target is required (a complete L7RuleTarget)`);
  const t = obj(message, 'target');
  const path = typeof t.path === 'string' ? t.path : undefined;
  return {
    rule_name: str(t, 'rule_name'),
    host: str(t, 'host'),
    ports: Array.isArray(t.ports) ? t.ports.map(Number) : [],
    ...(path !== undefined ? { path } : {}),
    binaries: list(t, 'binaries').map((b) => str(b, 'path')),
    any_binary: bool(t, 'any_binary'),
  };
}

export function mergeOperationsFromProto(messages: Wire[], generation: PolicyGeneration = 'legacy'): DecodedMerge {
  const targets: L7Target[] = [];
  const operations = messages.map((m, index): MergeOperation => {
    const which = typeof m.operation === 'string' ? m.operation : undefined;
    const op = which ? obj(m, which) : {};
    switch (which) {
      case 'add_rule':
        return { add_rule: { rule_name: str(op, 'rule_name'), rule: ruleFromProto(op.rule) } };
      case 'remove_rule':
        return { remove_rule: { rule_name: str(op, 'rule_name') } };
      case 'remove_endpoint':
        return { remove_endpoint: { rule_name: str(op, 'rule_name') || undefined, host: str(op, 'host'), port: num(op, 'port') } };
      case 'remove_binary':
        return { remove_binary: { rule_name: str(op, 'rule_name'), binary_path: str(op, 'binary_path') } };
      case 'add_allow_rules':
      case 'add_deny_rules': {
        let host = str(op, 'host');
        let port = num(op, 'port');
        if (generation === 'current') {
          const target = targetFromProto(op, index);
          targets.push(target);
          host = target.host;
          port = target.ports[0] ?? 0;
        }
        if (which === 'add_allow_rules')
          return {
            add_allow_rules: { host, port, rules: selectorsFromProto(list(op, 'rules').map((r) => r.allow)).map((allow) => ({ allow })) },
          };
        return { add_deny_rules: { host, port, deny_rules: selectorsFromProto(op.deny_rules) } };
      }
      default:
        throw new MergeError(`merge_operations[${index}]: no operation set`);
    }
  });
  return { operations, targets };
}

const portsOf = (e: NetworkEndpoint): number[] => [...new Set([...(e.ports ?? []), ...(e.port ? [e.port] : [])])].sort((a, b) => a - b);

const sameSet = (a: readonly (string | number)[], b: readonly (string | number)[]) =>
  a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);

/** Upstream's rule: the target names one stored endpoint exactly, ports and binaries included. */
export function checkL7Target(policies: NetworkPolicies, target: L7Target): void {
  const where = `${target.rule_name || '?'} ${target.host}:${target.ports.join(',')}`;
  if (!target.rule_name || !target.host || target.ports.length === 0)
    throw new MergeError(`L7RuleTarget ${where}: rule_name, host and ports are required`);
  if (target.any_binary === target.binaries.length > 0)
    throw new MergeError(`L7RuleTarget ${where}: declare either a nonempty binary list or any_binary, never both`);
  const rule = policies[target.rule_name];
  if (!rule) throw new MergeError(`L7RuleTarget ${where}: no rule named '${target.rule_name}'`);
  const endpoints = rule.endpoints.filter(
    (e) =>
      (e.host ?? '').toLowerCase() === target.host.toLowerCase() &&
      sameSet(portsOf(e), target.ports) &&
      (target.path === undefined || (e.path ?? '') === target.path),
  );
  if (endpoints.length !== 1)
    throw new MergeError(
      `L7RuleTarget ${where}: ${endpoints.length ? 'more than one endpoint matches; give the path' : 'no such endpoint'}`,
    );
  const stored = rule.binaries.map((b) => b.path);
  if (target.any_binary ? stored.length > 0 : !sameSet(stored, target.binaries))
    throw new MergeError(`L7RuleTarget ${where}: the binaries do not match the rule's (${stored.join(', ') || 'any binary'})`);
}

/** The L7RuleTarget for an append to host:port, read off the live policy (0.1.x requires it). */
export function targetFor(policies: NetworkPolicies, host: string, port: number): L7Target {
  const found: Array<[string, NetworkPolicyRule, NetworkEndpoint]> = [];
  for (const [name, rule] of Object.entries(policies))
    for (const e of rule.endpoints)
      if ((e.host ?? '').toLowerCase() === host.toLowerCase() && portsOf(e).includes(port)) found.push([name, rule, e]);
  if (found.length !== 1)
    throw new MergeError(`${host}:${port} is ${found.length ? 'in more than one rule' : 'in no rule'}; an L7 append needs exactly one`);
  const [name, rule, endpoint] = found[0];
  return {
    rule_name: name,
    host: endpoint.host ?? host,
    ports: portsOf(endpoint),
    path: endpoint.path ?? '',
    binaries: rule.binaries.map((b) => b.path),
    any_binary: rule.binaries.length === 0,
  };
}

const targetToProto = (t: L7Target): Wire => ({
  rule_name: t.rule_name,
  host: t.host,
  ports: t.ports,
  ...(t.path !== undefined ? { path: t.path } : {}),
  binaries: t.binaries.map((path) => ({ path })),
  any_binary: t.any_binary,
});

export function mergeOperationToProto(
  op: MergeOperation,
  generation: PolicyGeneration = 'legacy',
  targetOf?: (host: string, port: number) => L7Target,
): Wire {
  if ('add_rule' in op) return { add_rule: { rule_name: op.add_rule.rule_name, rule: ruleToProto(op.add_rule.rule, generation) } };
  if ('remove_rule' in op) return { remove_rule: { ...op.remove_rule } };
  if ('remove_endpoint' in op)
    return {
      remove_endpoint: { rule_name: op.remove_endpoint.rule_name ?? '', host: op.remove_endpoint.host, port: op.remove_endpoint.port },
    };
  if ('remove_binary' in op) return { remove_binary: { ...op.remove_binary } };
  const append = 'add_allow_rules' in op ? op.add_allow_rules : op.add_deny_rules;
  const where =
    generation === 'current'
      ? { target: targetToProto((targetOf ?? missingTarget)(append.host, append.port)) }
      : { host: append.host, port: append.port };
  if ('add_allow_rules' in op)
    return { add_allow_rules: { ...where, rules: op.add_allow_rules.rules.map((r) => ({ allow: selectorToProto(r.allow) })) } };
  return { add_deny_rules: { ...where, deny_rules: op.add_deny_rules.deny_rules.map(selectorToProto) } };
}

function missingTarget(host: string, port: number): L7Target {
  throw new MergeError(`an L7 append to ${host}:${port} needs the live policy to name its target`);
}
