// Every merge operation survives our encoding, the real protobuf bytes and our decoding unchanged.
import { describe, expect, it } from 'vitest';
import type { MergeOperation } from '../../src/core/policy/merge-operations.js';
import { mergeOperationsFromProto, mergeOperationToProto } from '../../src/gateway/grpc/merge-codec.js';
import { openShellServiceDefinition } from '../../src/gateway/grpc/proto.js';

const updateConfig = openShellServiceDefinition.UpdateConfig;

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
    const bytes = updateConfig.requestSerialize({ name: 'box', merge_operations: ops.map(mergeOperationToProto) });
    const decoded = updateConfig.requestDeserialize(bytes) as { merge_operations: Array<Record<string, unknown>> };
    expect(mergeOperationsFromProto(decoded.merge_operations)).toEqual(ops);
  });

  it('a message with no operation set is an error naming its index', () => {
    expect(() => mergeOperationsFromProto([{ add_rule: null }, {}])).toThrow(/merge_operations\[0\]: no operation set/);
  });
});
