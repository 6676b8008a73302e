// Every merge operation survives our encoding, the real protobuf bytes and our decoding unchanged.
import { describe, expect, it } from 'vitest';
import type { MergeOperation } from '../../src/core/policy/merge-operations.js';
import { checkL7Target, mergeOperationsFromProto, mergeOperationToProto, targetFor } from '../../src/gateway/grpc/merge-codec.js';
import type { NetworkPolicies } from '../../src/core/policy/merge-operations.js';
import { loadApi } from '../../src/gateway/grpc/proto.js';

const updateConfig = loadApi('v0').definition.UpdateConfig;

describe('merge operations on the wire', () => {
  it('round-trips all six operations through UpdateConfigRequest bytes', () => {
    const ops: MergeOperation[] = [
      {
        add_rule: {
          rule_name: 'pypi',
          rule: {
            name: 'pypi',
            endpoints: [{ host: 'pypi.org', port: 443, protocol: 'rest', access: 'read-only' }],
            binaries: [{ path: '/usr/bin/pip' }],
          },
        },
      },
      { remove_rule: { rule_name: 'old' } },
      { remove_endpoint: { rule_name: 'pypi', host: 'files.pythonhosted.org', port: 443 } },
      { remove_binary: { rule_name: 'pypi', binary_path: '/usr/bin/curl' } },
      {
        add_allow_rules: {
          host: 'api.example',
          port: 443,
          rules: [{ allow: { method: 'GET', path: '/v1/**', query: { page: { glob: '[0-9]*' } } } }],
        },
      },
      { add_deny_rules: { host: 'api.example', port: 443, deny_rules: [{ method: 'DELETE', path: '/**' }] } },
    ];
    const bytes = updateConfig.requestSerialize({ name: 'box', merge_operations: ops.map((op) => mergeOperationToProto(op)) });
    const decoded = updateConfig.requestDeserialize(bytes) as { merge_operations: Array<Record<string, unknown>> };
    expect(mergeOperationsFromProto(decoded.merge_operations).operations).toEqual(ops);
  });

  it('a message with no operation set is an error naming its index', () => {
    expect(() => mergeOperationsFromProto([{ add_rule: null }, {}])).toThrow(/merge_operations\[0\]: no operation set/);
  });

  describe('0.1.x: L7 appends carry a complete L7RuleTarget', () => {
    const live: NetworkPolicies = {
      api: {
        name: 'api',
        endpoints: [{ host: 'api.example', ports: [443, 8443], protocol: 'rest', access: 'read-only' }],
        binaries: [{ path: '/usr/bin/curl' }],
      },
    };
    const current = loadApi('v1').definition.UpdateConfig;
    const op: MergeOperation = {
      add_allow_rules: { host: 'api.example', port: 443, rules: [{ allow: { method: 'POST', path: '/v1/items' } }] },
    };

    it('the target is read off the live policy, survives the wire, and names the endpoint exactly', () => {
      const wire = mergeOperationToProto(op, 'current', (host, port) => targetFor(live, host, port));
      const bytes = current.requestSerialize({ sandbox: 'box', workspace_scope: { workspace: 'default' }, merge_operations: [wire] });
      const decoded = current.requestDeserialize(bytes) as { merge_operations: Array<Record<string, unknown>> };
      const { operations, targets } = mergeOperationsFromProto(decoded.merge_operations, 'current');
      expect(operations).toEqual([op]);
      expect(targets).toEqual([
        { rule_name: 'api', host: 'api.example', ports: [443, 8443], path: '', binaries: ['/usr/bin/curl'], any_binary: false },
      ]);
      expect(() => checkL7Target(live, targets[0])).not.toThrow();
    });

    it('a target that does not match the stored endpoint (a port, a binary, the rule) is refused', () => {
      const good = targetFor(live, 'api.example', 443);
      expect(() => checkL7Target(live, { ...good, ports: [443] })).toThrow(/no such endpoint/);
      expect(() => checkL7Target(live, { ...good, binaries: ['/usr/bin/wget'] })).toThrow(/binaries do not match/);
      expect(() => checkL7Target(live, { ...good, binaries: [], any_binary: true })).toThrow(/binaries do not match/);
      expect(() => checkL7Target(live, { ...good, binaries: ['/usr/bin/curl'], any_binary: true })).toThrow(/never both/);
      expect(() => checkL7Target(live, { ...good, rule_name: 'other' })).toThrow(/no rule named/);
    });

    it('a 0.1.x message without a target is refused rather than guessed', () => {
      expect(() => mergeOperationsFromProto([{ operation: 'add_allow_rules', add_allow_rules: { rules: [] } }], 'current')).toThrow(
        /target is required/,
      );
    });
  });
});
