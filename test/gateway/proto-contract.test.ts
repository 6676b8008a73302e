// Wire contract for our proto/ subsets of NVIDIA OpenShell's gRPC API, both generations:
//   proto/v0/   0.0.x   openshell.v1.OpenShell   tables in contract/v0-tables.ts (upstream 2f7fb655)
//   proto/v1/   0.1.x   openshell.v1.OpenShell   tables in contract/v1-tables.ts (upstream 0b37da61, openshell.* names)
//   proto/ryno/ 0.1.x   ryno.v1.Ryno             the same tables under ryno.* (upstream 0b37da61 as is)
// The tables are what a real gateway expects on the wire: if a message, field, number, type, label,
// oneof, map, enum value or reserved entry in proto/ drifts, this test fails. It never reads upstream.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APIS, type ApiId, loadApi } from '../../src/gateway/grpc/proto.js';
import { contractDiff, danglingTypes, loadRoot, renamePrefix, type ContractTarget } from './contract/contract-diff.js';
import type { ContractTables } from './contract/contract-types.js';
import * as v0 from './contract/v0-tables.js';
import * as v1 from './contract/v1-tables.js';

const tablesOf = (t: typeof v0 | typeof v1): ContractTables => ({
  rpcs: t.RPCS,
  messages: t.MESSAGES,
  enums: t.ENUMS,
  reserved: t.RESERVED,
});

const GENERATIONS: Record<ApiId, { tables: ContractTables; target: ContractTarget; rpcCount: number }> = {
  v0: {
    tables: tablesOf(v0),
    target: {
      service: 'openshell.v1.OpenShell',
      packageFiles: {
        'openshell.v1': 'openshell.proto',
        'openshell.sandbox.v1': 'sandbox.proto',
        'openshell.datamodel.v1': 'datamodel.proto',
      },
    },
    rpcCount: 22,
  },
  v1: {
    tables: tablesOf(v1),
    target: {
      service: 'openshell.v1.OpenShell',
      packageFiles: {
        'openshell.v1': 'openshell.proto',
        'openshell.sandbox.v1': 'sandbox.proto',
        'openshell.datamodel.v1': 'datamodel.proto',
      },
    },
    rpcCount: 21,
  },
  ryno: {
    tables: renamePrefix(tablesOf(v1), 'ryno'),
    target: {
      service: 'ryno.v1.Ryno',
      packageFiles: { 'ryno.v1': 'ryno.proto', 'ryno.sandbox.v1': 'sandbox.proto', 'ryno.datamodel.v1': 'datamodel.proto' },
    },
    rpcCount: 21,
  },
};

describe.each(Object.keys(GENERATIONS) as ApiId[])('proto/%s wire contract', (id) => {
  const { tables, target, rpcCount } = GENERATIONS[id];
  const api = APIS[id];
  const root = loadRoot(api.dir, api.files);

  it('tables cover every type they reference', () => {
    expect(danglingTypes(tables)).toEqual([]);
    expect(Object.keys(tables.rpcs)).toHaveLength(rpcCount);
  });

  it('matches the upstream tables exactly', () => {
    expect(contractDiff(root, tables, target)).toEqual([]);
  });

  it('grpc-js service definition exposes exactly these methods, at upstream paths', () => {
    const def = loadApi(id).definition;
    expect(Object.keys(def).sort()).toEqual(Object.keys(tables.rpcs).sort());
    for (const [name, [, , stream]] of Object.entries(tables.rpcs)) {
      expect(def[name].path).toBe(`/${target.service}/${name}`);
      expect(def[name].requestStream).toBe(false);
      expect(def[name].responseStream).toBe(stream);
    }
  });
});

describe('the two 0.1.x spellings stay one API', () => {
  it('proto/ryno is proto/v1 with only the package and service renamed', () => {
    const rename = (text: string) =>
      text
        .replace(/openshell\.(datamodel|sandbox)\.v1/g, 'ryno.$1.v1')
        .replace(/^package openshell\.v1;/m, 'package ryno.v1;')
        .replace(/^service OpenShell \{/m, 'service Ryno {');
    const body = (text: string) => text.slice(text.indexOf('syntax = "proto3";'));
    for (const [v1file, rynofile] of [
      ['openshell.proto', 'ryno.proto'],
      ['sandbox.proto', 'sandbox.proto'],
      ['datamodel.proto', 'datamodel.proto'],
    ]) {
      const a = body(rename(fs.readFileSync(path.join(APIS.v1.dir, v1file), 'utf8')));
      const b = body(fs.readFileSync(path.join(APIS.ryno.dir, rynofile), 'utf8'));
      expect(b, rynofile).toBe(a);
    }
  });
});

describe('detects drift', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openshell-proto-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const mutate = (id: ApiId, file: string, from: string, to: string): string[] => {
    const api = APIS[id];
    const dir = path.join(tmp, String(n++));
    fs.mkdirSync(dir);
    for (const f of api.files) fs.copyFileSync(path.join(api.dir, f), path.join(dir, f));
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    expect(text).toContain(from);
    fs.writeFileSync(path.join(dir, file), text.replace(from, to));
    return contractDiff(loadRoot(dir, api.files), GENERATIONS[id].tables, GENERATIONS[id].target);
  };

  it.each([
    ['v0', 'field number', 'openshell.proto', 'string review_token = 20;', 'string review_token = 25;'],
    ['v0', 'field name', 'openshell.proto', 'string rule_name = 3;', 'string rulename = 3;'],
    ['v0', 'scalar type', 'openshell.proto', 'float confidence = 7;', 'double confidence = 7;'],
    ['v0', 'repeated label', 'openshell.proto', 'repeated SandboxLogLine logs = 1;', 'SandboxLogLine logs = 1;'],
    ['v0', 'proto3 optional', 'openshell.proto', 'optional int32 exit_code = 9;', 'int32 exit_code = 9;'],
    [
      'v0',
      'map key type',
      'sandbox.proto',
      'map<string, NetworkPolicyRule> network_policies = 5;',
      'map<int32, NetworkPolicyRule> network_policies = 5;',
    ],
    ['v0', 'enum value', 'openshell.proto', 'SANDBOX_PHASE_READY = 2;', 'SANDBOX_PHASE_READY = 9;'],
    ['v0', 'streaming flag', 'openshell.proto', 'returns (stream SandboxStreamEvent)', 'returns (SandboxStreamEvent)'],
    ['v0', 'datamodel field', 'datamodel.proto', 'uint64 resource_version = 5;', 'int64 resource_version = 5;'],
    ['v1', 'timestamp as an int64', 'openshell.proto', 'google.protobuf.Timestamp created_time = 109;', 'int64 created_time = 109;'],
    [
      'v1',
      'renumbered approvals',
      'openshell.proto',
      'repeated DraftChunkApproval approvals = 3;',
      'repeated DraftChunkApproval approvals = 6;',
    ],
    [
      'v1',
      'request_id dropped',
      'openshell.proto',
      '  string request_id = 5;\n}\n\nmessage ApproveDraftChunkResponse',
      '}\n\nmessage ApproveDraftChunkResponse',
    ],
    [
      'v1',
      'workspace selector as a string',
      'openshell.proto',
      'openshell.datamodel.v1.WorkspaceSelector workspace_scope = 4;\n  int32 page_size = 1;',
      'string workspace = 4;\n  int32 page_size = 1;',
    ],
    ['v1', 'endpoint enum as a string', 'sandbox.proto', 'NetworkTlsMode tls = 4;', 'string tls = 4;'],
    ['v1', 'reserved range forgotten', 'openshell.proto', '  reserved 9, 10, 14, 15;\n', ''],
    ['v1', 'enum reserved forgotten', 'openshell.proto', '  reserved "SANDBOX_PHASE_RESTARTING";\n', ''],
    [
      'v1',
      'oneof member moved out',
      'datamodel.proto',
      '    AllWorkspaces all_workspaces = 2;\n  }',
      '  }\n  AllWorkspaces all_workspaces = 2;',
    ],
    ['ryno', 'cursor number', 'ryno.proto', 'string cursor = 6;', 'string cursor = 7;'],
  ] as Array<[ApiId, string, string, string, string]>)('%s: %s', (id, _label, file, from, to) => {
    expect(mutate(id, file, from, to).length).toBeGreaterThan(0);
  });
});

describe('golden bytes', () => {
  const hex = (id: ApiId, type: string, obj: Record<string, unknown>) => {
    const root = loadRoot(APIS[id].dir, APIS[id].files);
    const T = root.lookupType(type);
    return Buffer.from(T.encode(T.fromObject(obj)).finish()).toString('hex');
  };

  it('0.0.x messages as a 0.0.x gateway reads them', () => {
    // name=1 "s", chunk_id=2 "c", review_token=4 "t"
    expect(hex('v0', 'openshell.v1.ApproveDraftChunkRequest', { name: 's', chunk_id: 'c', review_token: 't' })).toBe('0a0173120163220174');
    // oneof payload: warning=4 { message=1 "w" }
    expect(hex('v0', 'openshell.v1.SandboxStreamEvent', { warning: { message: 'w' } })).toBe('22030a0177');
    // merge_operations=7 [{ remove_rule=3 { rule_name=1 "r" } }], expected_resource_version=8 5
    expect(
      hex('v0', 'openshell.v1.UpdateConfigRequest', {
        merge_operations: [{ remove_rule: { rule_name: 'r' } }],
        expected_resource_version: 5,
      }),
    ).toBe('3a051a030a01724005');
  });

  it('0.1.x messages as a 0.1.x gateway reads them, under either package', () => {
    for (const [id, prefix] of [
      ['v1', 'openshell'],
      ['ryno', 'ryno'],
    ] as const) {
      // sandbox=1 "s", chunk_id=2 "c", workspace_scope=3 { workspace=1 "d" }, review_token=4 "t", request_id=5 "u"
      expect(
        hex(id, `${prefix}.v1.ApproveDraftChunkRequest`, {
          sandbox: 's',
          chunk_id: 'c',
          workspace_scope: { workspace: 'd' },
          review_token: 't',
          request_id: 'u',
        }),
      ).toBe('0a01731201631a030a0164220174' + '2a0175');
      // approvals moved to 3, workspace_scope took 4: approvals=3 [{chunk_id=1 "c"}], workspace_scope=4 {all_workspaces=2 {}}
      expect(
        hex(id, `${prefix}.v1.ApproveAllDraftChunksRequest`, { approvals: [{ chunk_id: 'c' }], workspace_scope: { all_workspaces: {} } }),
      ).toBe('1a030a0163' + '22021200');
      // created_time=109 (Timestamp{seconds=1}): tag (109<<3|2) = 0xea 0x06
      expect(hex(id, `${prefix}.v1.PolicyChunk`, { created_time: { seconds: 1 } })).toBe('ea06020801');
      // NetworkEndpoint.tls=4 as the enum NETWORK_TLS_MODE_SKIP (1)
      expect(hex(id, `${prefix}.sandbox.v1.NetworkEndpoint`, { tls: 'NETWORK_TLS_MODE_SKIP' })).toBe('2001');
      // SandboxStreamEvent cursor=6 beside a log payload
      expect(hex(id, `${prefix}.v1.SandboxStreamEvent`, { log: { message: 'm' }, cursor: 'k' })).toBe('12032a016d' + '32016b');
    }
  });
});
