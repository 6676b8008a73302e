// PolicyMergeOperation messages ↔ our MergeOperation objects (UpdateConfig's merge_operations).
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import { ruleFromProto, ruleToProto, selectorsFromProto, selectorToProto } from './policy-codec.js';

type Message = Record<string, any>;

export function mergeOperationsFromProto(messages: Message[]): MergeOperation[] {
  return messages.map((m, index) => {
    const which = m.operation as string | undefined;
    const op = which ? m[which] : undefined;
    switch (which) {
      case 'add_rule':
        return { add_rule: { rule_name: op.rule_name ?? '', rule: ruleFromProto(op.rule) } };
      case 'remove_rule':
        return { remove_rule: { rule_name: op.rule_name ?? '' } };
      case 'remove_endpoint':
        return { remove_endpoint: { rule_name: op.rule_name || undefined, host: op.host ?? '', port: op.port ?? 0 } };
      case 'remove_binary':
        return { remove_binary: { rule_name: op.rule_name ?? '', binary_path: op.binary_path ?? '' } };
      case 'add_allow_rules':
        return {
          add_allow_rules: {
            host: op.host ?? '',
            port: op.port ?? 0,
            rules: selectorsFromProto((op.rules ?? []).map((r: Message) => r.allow)).map((allow) => ({ allow })),
          },
        };
      case 'add_deny_rules':
        return { add_deny_rules: { host: op.host ?? '', port: op.port ?? 0, deny_rules: selectorsFromProto(op.deny_rules) } };
      default:
        throw new Error(`merge_operations[${index}]: no operation set`);
    }
  });
}

export function mergeOperationToProto(op: MergeOperation): Message {
  if ('add_rule' in op) return { add_rule: { rule_name: op.add_rule.rule_name, rule: ruleToProto(op.add_rule.rule) } };
  if ('remove_rule' in op) return { remove_rule: op.remove_rule };
  if ('remove_endpoint' in op)
    return {
      remove_endpoint: { rule_name: op.remove_endpoint.rule_name ?? '', host: op.remove_endpoint.host, port: op.remove_endpoint.port },
    };
  if ('remove_binary' in op) return { remove_binary: op.remove_binary };
  if ('add_allow_rules' in op) {
    const { host, port, rules } = op.add_allow_rules;
    return { add_allow_rules: { host, port, rules: rules.map((r) => ({ allow: selectorToProto(r.allow) })) } };
  }
  const { host, port, deny_rules } = op.add_deny_rules;
  return { add_deny_rules: { host, port, deny_rules: deny_rules.map(selectorToProto) } };
}
