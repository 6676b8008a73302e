// Wire contract for our proto/ subset of NVIDIA OpenShell's gRPC API.
//
// The tables below were written from upstream NVIDIA/OpenShell proto/{openshell,
// sandbox,datamodel}.proto at commit 2f7fb65591ee5746217ace154afc0aa6bf1afc6d.
// They are the source of truth for what a real gateway expects on the wire:
// if a message/field/number/type/label/oneof/map/enum value in proto/ drifts,
// this test fails. The test never reads upstream (CI has no network).
//
// Field kinds: '' singular, 'repeated', 'map<KEY>' (value type in column 3),
// 'optional' (proto3 explicit presence), 'oneof NAME'.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { OPENSHELL_SERVICE, PROTO_DIR, PROTO_FILES, openShellServiceDefinition } from '../../src/gateway/grpc/proto.js';

type Field = [name: string, id: number, type: string, kind?: string];
type Rpc = [request: string, response: string, serverStreaming: boolean];

/** Package -> file that must define it (same split as upstream). */
const PACKAGE_FILES: Record<string, string> = {
  'openshell.v1': 'openshell.proto',
  'openshell.sandbox.v1': 'sandbox.proto',
  'openshell.datamodel.v1': 'datamodel.proto',
};

export const RPCS: Record<string, Rpc> = {
  Health: ['openshell.v1.HealthRequest', 'openshell.v1.HealthResponse', false],
  GetGatewayInfo: ['openshell.v1.GetGatewayInfoRequest', 'openshell.v1.GetGatewayInfoResponse', false],
  GetSandbox: ['openshell.v1.GetSandboxRequest', 'openshell.v1.SandboxResponse', false],
  ListSandboxes: ['openshell.v1.ListSandboxesRequest', 'openshell.v1.ListSandboxesResponse', false],
  ListProviders: ['openshell.v1.ListProvidersRequest', 'openshell.v1.ListProvidersResponse', false],
  GetSandboxConfig: ['openshell.sandbox.v1.GetSandboxConfigRequest', 'openshell.sandbox.v1.GetSandboxConfigResponse', false],
  UpdateConfig: ['openshell.v1.UpdateConfigRequest', 'openshell.v1.UpdateConfigResponse', false],
  GetSandboxPolicyStatus: ['openshell.v1.GetSandboxPolicyStatusRequest', 'openshell.v1.GetSandboxPolicyStatusResponse', false],
  ListSandboxPolicies: ['openshell.v1.ListSandboxPoliciesRequest', 'openshell.v1.ListSandboxPoliciesResponse', false],
  GetSandboxLogs: ['openshell.v1.GetSandboxLogsRequest', 'openshell.v1.GetSandboxLogsResponse', false],
  WatchSandbox: ['openshell.v1.WatchSandboxRequest', 'openshell.v1.SandboxStreamEvent', true],
  GetDraftPolicy: ['openshell.v1.GetDraftPolicyRequest', 'openshell.v1.GetDraftPolicyResponse', false],
  ApproveDraftChunk: ['openshell.v1.ApproveDraftChunkRequest', 'openshell.v1.ApproveDraftChunkResponse', false],
  RejectDraftChunk: ['openshell.v1.RejectDraftChunkRequest', 'openshell.v1.RejectDraftChunkResponse', false],
  ApproveAllDraftChunks: ['openshell.v1.ApproveAllDraftChunksRequest', 'openshell.v1.ApproveAllDraftChunksResponse', false],
  EditDraftChunk: ['openshell.v1.EditDraftChunkRequest', 'openshell.v1.EditDraftChunkResponse', false],
  UndoDraftChunk: ['openshell.v1.UndoDraftChunkRequest', 'openshell.v1.UndoDraftChunkResponse', false],
  GetDraftHistory: ['openshell.v1.GetDraftHistoryRequest', 'openshell.v1.GetDraftHistoryResponse', false],
  ListWorkspaces: ['openshell.v1.ListWorkspacesRequest', 'openshell.v1.ListWorkspacesResponse', false],
};

export const MESSAGES: Record<string, Field[]> = {
  'openshell.v1.HealthRequest': [],
  'openshell.v1.HealthResponse': [
    ['status', 1, 'openshell.v1.ServiceStatus'],
    ['version', 2, 'string'],
  ],
  'openshell.v1.GetGatewayInfoRequest': [],
  'openshell.v1.GetGatewayInfoResponse': [
    ['status', 1, 'openshell.v1.ServiceStatus'],
    ['gateway_version', 2, 'string'],
    ['compute_drivers', 3, 'openshell.v1.ComputeDriverInfo', 'repeated'],
  ],
  'openshell.v1.ComputeDriverInfo': [
    ['name', 1, 'string'],
    ['capabilities', 2, 'openshell.v1.ComputeDriverCapabilities'],
  ],
  'openshell.v1.ComputeDriverCapabilities': [
    ['driver_name', 1, 'string'],
    ['driver_version', 2, 'string'],
  ],
  'openshell.v1.Sandbox': [
    ['metadata', 1, 'openshell.datamodel.v1.ObjectMeta'],
    ['spec', 2, 'openshell.v1.SandboxSpec'],
    ['status', 3, 'openshell.v1.SandboxStatus'],
  ],
  'openshell.v1.SandboxSpec': [
    ['log_level', 1, 'string'],
    ['environment', 5, 'string', 'map<string>'],
    ['template', 6, 'openshell.v1.SandboxTemplate'],
    ['policy', 7, 'openshell.sandbox.v1.SandboxPolicy'],
    ['providers', 8, 'string', 'repeated'],
    ['resource_requirements', 9, 'openshell.v1.ResourceRequirements'],
    ['command', 12, 'string', 'repeated'],
    ['tty', 13, 'bool'],
  ],
  'openshell.v1.ResourceRequirements': [['gpu', 1, 'openshell.v1.GpuResourceRequirements']],
  'openshell.v1.GpuResourceRequirements': [['count', 1, 'uint32', 'optional']],
  'openshell.v1.SandboxTemplate': [
    ['image', 1, 'string'],
    ['runtime_class_name', 2, 'string'],
    ['agent_socket', 3, 'string'],
    ['labels', 4, 'string', 'map<string>'],
    ['annotations', 5, 'string', 'map<string>'],
    ['environment', 6, 'string', 'map<string>'],
    ['resources', 7, 'google.protobuf.Struct'],
    ['user_namespaces', 10, 'bool', 'optional'],
    ['driver_config', 11, 'google.protobuf.Struct'],
  ],
  'openshell.v1.SandboxStatus': [
    ['sandbox_name', 1, 'string'],
    ['agent_pod', 2, 'string'],
    ['agent_fd', 3, 'string'],
    ['sandbox_fd', 4, 'string'],
    ['conditions', 5, 'openshell.v1.SandboxCondition', 'repeated'],
    ['phase', 6, 'openshell.v1.SandboxPhase'],
    ['current_policy_version', 7, 'uint32'],
    ['main_process_instance_id', 8, 'string'],
    ['exit_code', 9, 'int32', 'optional'],
  ],
  'openshell.v1.SandboxCondition': [
    ['type', 1, 'string'],
    ['status', 2, 'string'],
    ['reason', 3, 'string'],
    ['message', 4, 'string'],
    ['last_transition_time', 5, 'string'],
  ],
  'openshell.v1.PlatformEvent': [
    ['timestamp_ms', 1, 'int64'],
    ['source', 2, 'string'],
    ['type', 3, 'string'],
    ['reason', 4, 'string'],
    ['message', 5, 'string'],
    ['metadata', 6, 'string', 'map<string>'],
  ],
  'openshell.v1.GetSandboxRequest': [
    ['name', 1, 'string'],
    ['workspace', 2, 'string'],
  ],
  'openshell.v1.ListSandboxesRequest': [
    ['limit', 1, 'uint32'],
    ['offset', 2, 'uint32'],
    ['label_selector', 3, 'string'],
    ['workspace', 4, 'string'],
    ['all_workspaces', 5, 'bool'],
  ],
  'openshell.v1.SandboxResponse': [['sandbox', 1, 'openshell.v1.Sandbox']],
  'openshell.v1.ListSandboxesResponse': [['sandboxes', 1, 'openshell.v1.Sandbox', 'repeated']],
  'openshell.v1.WatchSandboxRequest': [
    ['id', 1, 'string'],
    ['follow_status', 2, 'bool'],
    ['follow_logs', 3, 'bool'],
    ['follow_events', 4, 'bool'],
    ['log_tail_lines', 5, 'uint32'],
    ['event_tail', 6, 'uint32'],
    ['stop_on_terminal', 7, 'bool'],
    ['log_since_ms', 8, 'int64'],
    ['log_sources', 9, 'string', 'repeated'],
    ['log_min_level', 10, 'string'],
  ],
  'openshell.v1.SandboxStreamEvent': [
    ['sandbox', 1, 'openshell.v1.Sandbox', 'oneof payload'],
    ['log', 2, 'openshell.v1.SandboxLogLine', 'oneof payload'],
    ['event', 3, 'openshell.v1.PlatformEvent', 'oneof payload'],
    ['warning', 4, 'openshell.v1.SandboxStreamWarning', 'oneof payload'],
    ['draft_policy_update', 5, 'openshell.v1.DraftPolicyUpdate', 'oneof payload'],
  ],
  'openshell.v1.SandboxLogLine': [
    ['sandbox_id', 1, 'string'],
    ['timestamp_ms', 2, 'int64'],
    ['level', 3, 'string'],
    ['target', 4, 'string'],
    ['message', 5, 'string'],
    ['source', 6, 'string'],
    ['fields', 7, 'string', 'map<string>'],
  ],
  'openshell.v1.SandboxStreamWarning': [['message', 1, 'string']],
  'openshell.v1.ListProvidersRequest': [
    ['limit', 1, 'uint32'],
    ['offset', 2, 'uint32'],
    ['workspace', 3, 'string'],
    ['all_workspaces', 4, 'bool'],
  ],
  'openshell.v1.ListProvidersResponse': [['providers', 1, 'openshell.datamodel.v1.Provider', 'repeated']],
  'openshell.v1.UpdateConfigRequest': [
    ['name', 1, 'string'],
    ['policy', 2, 'openshell.sandbox.v1.SandboxPolicy'],
    ['setting_key', 3, 'string'],
    ['setting_value', 4, 'openshell.sandbox.v1.SettingValue'],
    ['delete_setting', 5, 'bool'],
    ['global', 6, 'bool'],
    ['merge_operations', 7, 'openshell.v1.PolicyMergeOperation', 'repeated'],
    ['expected_resource_version', 8, 'uint64'],
    ['annotations', 9, 'string', 'map<string>'],
    ['workspace', 10, 'string'],
  ],
  'openshell.v1.PolicyMergeOperation': [
    ['add_rule', 1, 'openshell.v1.AddNetworkRule', 'oneof operation'],
    ['remove_endpoint', 2, 'openshell.v1.RemoveNetworkEndpoint', 'oneof operation'],
    ['remove_rule', 3, 'openshell.v1.RemoveNetworkRule', 'oneof operation'],
    ['add_deny_rules', 4, 'openshell.v1.AddDenyRules', 'oneof operation'],
    ['add_allow_rules', 5, 'openshell.v1.AddAllowRules', 'oneof operation'],
    ['remove_binary', 6, 'openshell.v1.RemoveNetworkBinary', 'oneof operation'],
  ],
  'openshell.v1.AddNetworkRule': [
    ['rule_name', 1, 'string'],
    ['rule', 2, 'openshell.sandbox.v1.NetworkPolicyRule'],
  ],
  'openshell.v1.RemoveNetworkEndpoint': [
    ['rule_name', 1, 'string'],
    ['host', 2, 'string'],
    ['port', 3, 'uint32'],
  ],
  'openshell.v1.RemoveNetworkRule': [['rule_name', 1, 'string']],
  'openshell.v1.AddDenyRules': [
    ['host', 1, 'string'],
    ['port', 2, 'uint32'],
    ['deny_rules', 3, 'openshell.sandbox.v1.L7DenyRule', 'repeated'],
  ],
  'openshell.v1.AddAllowRules': [
    ['host', 1, 'string'],
    ['port', 2, 'uint32'],
    ['rules', 3, 'openshell.sandbox.v1.L7Rule', 'repeated'],
  ],
  'openshell.v1.RemoveNetworkBinary': [
    ['rule_name', 1, 'string'],
    ['binary_path', 2, 'string'],
  ],
  'openshell.v1.UpdateConfigResponse': [
    ['version', 1, 'uint32'],
    ['policy_hash', 2, 'string'],
    ['settings_revision', 3, 'uint64'],
    ['deleted', 4, 'bool'],
    ['annotations', 5, 'string', 'map<string>'],
  ],
  'openshell.v1.GetSandboxPolicyStatusRequest': [
    ['name', 1, 'string'],
    ['version', 2, 'uint32'],
    ['global', 3, 'bool'],
    ['workspace', 4, 'string'],
  ],
  'openshell.v1.GetSandboxPolicyStatusResponse': [
    ['revision', 1, 'openshell.v1.SandboxPolicyRevision'],
    ['active_version', 2, 'uint32'],
  ],
  'openshell.v1.ListSandboxPoliciesRequest': [
    ['name', 1, 'string'],
    ['limit', 2, 'uint32'],
    ['offset', 3, 'uint32'],
    ['global', 4, 'bool'],
    ['workspace', 5, 'string'],
  ],
  'openshell.v1.ListSandboxPoliciesResponse': [['revisions', 1, 'openshell.v1.SandboxPolicyRevision', 'repeated']],
  'openshell.v1.SandboxPolicyRevision': [
    ['version', 1, 'uint32'],
    ['policy_hash', 2, 'string'],
    ['status', 3, 'openshell.v1.PolicyStatus'],
    ['load_error', 4, 'string'],
    ['created_at_ms', 5, 'int64'],
    ['loaded_at_ms', 6, 'int64'],
    ['policy', 7, 'openshell.sandbox.v1.SandboxPolicy'],
    ['provenance', 8, 'string', 'map<string>'],
  ],
  'openshell.v1.GetSandboxLogsRequest': [
    ['sandbox_id', 1, 'string'],
    ['lines', 2, 'uint32'],
    ['since_ms', 3, 'int64'],
    ['sources', 4, 'string', 'repeated'],
    ['min_level', 5, 'string'],
    ['workspace', 6, 'string'],
  ],
  'openshell.v1.GetSandboxLogsResponse': [
    ['logs', 1, 'openshell.v1.SandboxLogLine', 'repeated'],
    ['buffer_total', 2, 'uint32'],
  ],
  'openshell.v1.PolicyChunk': [
    ['id', 1, 'string'],
    ['status', 2, 'string'],
    ['rule_name', 3, 'string'],
    ['proposed_rule', 4, 'openshell.sandbox.v1.NetworkPolicyRule'],
    ['rationale', 5, 'string'],
    ['security_notes', 6, 'string'],
    ['confidence', 7, 'float'],
    ['denial_summary_ids', 8, 'string', 'repeated'],
    ['created_at_ms', 9, 'int64'],
    ['decided_at_ms', 10, 'int64'],
    ['stage', 11, 'string'],
    ['supersedes_chunk_id', 12, 'string'],
    ['hit_count', 13, 'int32'],
    ['first_seen_ms', 14, 'int64'],
    ['last_seen_ms', 15, 'int64'],
    ['binary', 16, 'string'],
    ['validation_result', 17, 'string'],
    ['rejection_reason', 18, 'string'],
    ['application_error', 19, 'string'],
    ['review_token', 20, 'string'],
    ['current_effective_policy_hash', 21, 'string'],
    ['candidate_effective_policy_hash', 22, 'string'],
    ['current_effective_policy', 23, 'openshell.sandbox.v1.SandboxPolicy'],
    ['candidate_effective_policy', 24, 'openshell.sandbox.v1.SandboxPolicy'],
  ],
  'openshell.v1.DraftPolicyUpdate': [
    ['draft_version', 1, 'uint64'],
    ['new_chunks', 2, 'uint32'],
    ['total_pending', 3, 'uint32'],
    ['summary', 4, 'string'],
  ],
  'openshell.v1.GetDraftPolicyRequest': [
    ['name', 1, 'string'],
    ['status_filter', 2, 'string'],
    ['workspace', 3, 'string'],
  ],
  'openshell.v1.GetDraftPolicyResponse': [
    ['chunks', 1, 'openshell.v1.PolicyChunk', 'repeated'],
    ['rolling_summary', 2, 'string'],
    ['draft_version', 3, 'uint64'],
    ['last_analyzed_at_ms', 4, 'int64'],
  ],
  'openshell.v1.ApproveDraftChunkRequest': [
    ['name', 1, 'string'],
    ['chunk_id', 2, 'string'],
    ['workspace', 3, 'string'],
    ['review_token', 4, 'string'],
  ],
  'openshell.v1.ApproveDraftChunkResponse': [
    ['policy_version', 1, 'uint32'],
    ['policy_hash', 2, 'string'],
  ],
  'openshell.v1.RejectDraftChunkRequest': [
    ['name', 1, 'string'],
    ['chunk_id', 2, 'string'],
    ['reason', 3, 'string'],
    ['workspace', 4, 'string'],
  ],
  'openshell.v1.RejectDraftChunkResponse': [],
  'openshell.v1.DraftChunkApproval': [
    ['chunk_id', 1, 'string'],
    ['review_token', 2, 'string'],
  ],
  'openshell.v1.ApproveAllDraftChunksRequest': [
    ['name', 1, 'string'],
    ['include_security_flagged', 2, 'bool'],
    ['workspace', 3, 'string'],
    ['approvals', 4, 'openshell.v1.DraftChunkApproval', 'repeated'],
  ],
  'openshell.v1.ApproveAllDraftChunksResponse': [
    ['policy_version', 1, 'uint32'],
    ['policy_hash', 2, 'string'],
    ['chunks_approved', 3, 'uint32'],
    ['chunks_skipped', 4, 'uint32'],
  ],
  'openshell.v1.EditDraftChunkRequest': [
    ['name', 1, 'string'],
    ['chunk_id', 2, 'string'],
    ['proposed_rule', 3, 'openshell.sandbox.v1.NetworkPolicyRule'],
    ['workspace', 4, 'string'],
  ],
  'openshell.v1.EditDraftChunkResponse': [],
  'openshell.v1.UndoDraftChunkRequest': [
    ['name', 1, 'string'],
    ['chunk_id', 2, 'string'],
    ['workspace', 3, 'string'],
  ],
  'openshell.v1.UndoDraftChunkResponse': [
    ['policy_version', 1, 'uint32'],
    ['policy_hash', 2, 'string'],
  ],
  'openshell.v1.GetDraftHistoryRequest': [
    ['name', 1, 'string'],
    ['workspace', 2, 'string'],
  ],
  'openshell.v1.DraftHistoryEntry': [
    ['timestamp_ms', 1, 'int64'],
    ['event_type', 2, 'string'],
    ['description', 3, 'string'],
    ['chunk_id', 4, 'string'],
  ],
  'openshell.v1.GetDraftHistoryResponse': [['entries', 1, 'openshell.v1.DraftHistoryEntry', 'repeated']],
  'openshell.v1.ListWorkspacesRequest': [
    ['limit', 1, 'uint32'],
    ['offset', 2, 'uint32'],
    ['label_selector', 3, 'string'],
  ],
  'openshell.v1.ListWorkspacesResponse': [['workspaces', 1, 'openshell.datamodel.v1.Workspace', 'repeated']],
  'openshell.sandbox.v1.SandboxPolicy': [
    ['version', 1, 'uint32'],
    ['filesystem', 2, 'openshell.sandbox.v1.FilesystemPolicy'],
    ['landlock', 3, 'openshell.sandbox.v1.LandlockPolicy'],
    ['process', 4, 'openshell.sandbox.v1.ProcessPolicy'],
    ['network_policies', 5, 'openshell.sandbox.v1.NetworkPolicyRule', 'map<string>'],
    ['network_middlewares', 6, 'openshell.sandbox.v1.NetworkMiddlewareConfig', 'map<string>'],
  ],
  'openshell.sandbox.v1.FilesystemPolicy': [
    ['include_workdir', 1, 'bool'],
    ['read_only', 2, 'string', 'repeated'],
    ['read_write', 3, 'string', 'repeated'],
  ],
  'openshell.sandbox.v1.LandlockPolicy': [['compatibility', 1, 'string']],
  'openshell.sandbox.v1.ProcessPolicy': [
    ['run_as_user', 1, 'string'],
    ['run_as_group', 2, 'string'],
  ],
  'openshell.sandbox.v1.NetworkPolicyRule': [
    ['name', 1, 'string'],
    ['endpoints', 2, 'openshell.sandbox.v1.NetworkEndpoint', 'repeated'],
    ['binaries', 3, 'openshell.sandbox.v1.NetworkBinary', 'repeated'],
  ],
  'openshell.sandbox.v1.NetworkMiddlewareConfig': [
    ['name', 1, 'string'],
    ['middleware', 2, 'string'],
    ['config', 3, 'google.protobuf.Struct'],
    ['on_error', 4, 'string'],
    ['endpoints', 5, 'openshell.sandbox.v1.MiddlewareEndpointSelector'],
    ['order', 6, 'int32'],
  ],
  'openshell.sandbox.v1.MiddlewareEndpointSelector': [
    ['include', 1, 'string', 'repeated'],
    ['exclude', 2, 'string', 'repeated'],
  ],
  'openshell.sandbox.v1.NetworkCredentialBinding': [['provider', 1, 'string']],
  'openshell.sandbox.v1.NetworkEndpoint': [
    ['host', 1, 'string'],
    ['port', 2, 'uint32'],
    ['protocol', 3, 'string'],
    ['tls', 4, 'string'],
    ['enforcement', 5, 'string'],
    ['access', 6, 'string'],
    ['rules', 7, 'openshell.sandbox.v1.L7Rule', 'repeated'],
    ['allowed_ips', 8, 'string', 'repeated'],
    ['ports', 9, 'uint32', 'repeated'],
    ['deny_rules', 10, 'openshell.sandbox.v1.L7DenyRule', 'repeated'],
    ['allow_encoded_slash', 11, 'bool'],
    ['persisted_queries', 12, 'string'],
    ['graphql_persisted_queries', 13, 'openshell.sandbox.v1.GraphqlOperation', 'map<string>'],
    ['graphql_max_body_bytes', 14, 'uint32'],
    ['path', 15, 'string'],
    ['websocket_credential_rewrite', 16, 'bool'],
    ['request_body_credential_rewrite', 17, 'bool'],
    ['advisor_proposed', 18, 'bool'],
    ['credential_signing', 19, 'string'],
    ['signing_service', 20, 'string'],
    ['signing_region', 21, 'string'],
    ['json_rpc_max_body_bytes', 22, 'uint32'],
    ['mcp', 23, 'openshell.sandbox.v1.McpOptions'],
    ['credential_binding', 24, 'openshell.sandbox.v1.NetworkCredentialBinding'],
    ['allow_uninspected_credentials', 25, 'bool'],
    ['provider_credentialed', 26, 'bool'],
  ],
  'openshell.sandbox.v1.McpOptions': [
    ['strict_tool_names', 1, 'bool', 'optional'],
    ['allow_all_known_mcp_methods', 2, 'bool', 'optional'],
  ],
  'openshell.sandbox.v1.GraphqlOperation': [
    ['operation_type', 1, 'string'],
    ['operation_name', 2, 'string'],
    ['fields', 3, 'string', 'repeated'],
  ],
  'openshell.sandbox.v1.L7DenyRule': [
    ['method', 1, 'string'],
    ['path', 2, 'string'],
    ['command', 3, 'string'],
    ['query', 4, 'openshell.sandbox.v1.L7QueryMatcher', 'map<string>'],
    ['operation_type', 5, 'string'],
    ['operation_name', 6, 'string'],
    ['fields', 7, 'string', 'repeated'],
    ['params', 9, 'openshell.sandbox.v1.L7QueryMatcher', 'map<string>'],
  ],
  'openshell.sandbox.v1.L7Rule': [['allow', 1, 'openshell.sandbox.v1.L7Allow']],
  'openshell.sandbox.v1.L7Allow': [
    ['method', 1, 'string'],
    ['path', 2, 'string'],
    ['command', 3, 'string'],
    ['query', 4, 'openshell.sandbox.v1.L7QueryMatcher', 'map<string>'],
    ['operation_type', 5, 'string'],
    ['operation_name', 6, 'string'],
    ['fields', 7, 'string', 'repeated'],
    ['params', 9, 'openshell.sandbox.v1.L7QueryMatcher', 'map<string>'],
  ],
  'openshell.sandbox.v1.L7QueryMatcher': [
    ['glob', 1, 'string'],
    ['any', 2, 'string', 'repeated'],
  ],
  'openshell.sandbox.v1.NetworkBinary': [
    ['path', 1, 'string'],
    ['harness', 2, 'bool'],
  ],
  'openshell.sandbox.v1.GetSandboxConfigRequest': [['sandbox_id', 1, 'string']],
  'openshell.sandbox.v1.SettingValue': [
    ['string_value', 1, 'string', 'oneof value'],
    ['bool_value', 2, 'bool', 'oneof value'],
    ['int_value', 3, 'int64', 'oneof value'],
    ['bytes_value', 4, 'bytes', 'oneof value'],
  ],
  'openshell.sandbox.v1.EffectiveSetting': [
    ['value', 1, 'openshell.sandbox.v1.SettingValue'],
    ['scope', 2, 'openshell.sandbox.v1.SettingScope'],
  ],
  'openshell.sandbox.v1.GetSandboxConfigResponse': [
    ['policy', 1, 'openshell.sandbox.v1.SandboxPolicy'],
    ['version', 2, 'uint32'],
    ['policy_hash', 3, 'string'],
    ['settings', 4, 'openshell.sandbox.v1.EffectiveSetting', 'map<string>'],
    ['config_revision', 5, 'uint64'],
    ['policy_source', 6, 'openshell.sandbox.v1.PolicySource'],
    ['global_policy_version', 7, 'uint32'],
    ['provider_env_revision', 8, 'uint64'],
    ['supervisor_middleware_services', 9, 'openshell.sandbox.v1.SupervisorMiddlewareService', 'repeated'],
    ['workspace', 10, 'string'],
    ['policy_validation_failure_mode', 11, 'string'],
    ['extension_authentication_enabled', 12, 'bool'],
  ],
  'openshell.sandbox.v1.SupervisorMiddlewareService': [
    ['name', 1, 'string'],
    ['grpc_endpoint', 2, 'string'],
    ['max_payload_bytes', 3, 'uint64'],
    ['timeout', 4, 'string'],
    ['tls_ca_cert_pem', 5, 'bytes'],
    ['audience', 6, 'string'],
    ['allow_insecure_transport', 7, 'bool'],
  ],
  'openshell.datamodel.v1.ObjectMeta': [
    ['id', 1, 'string'],
    ['name', 2, 'string'],
    ['created_at_ms', 3, 'int64'],
    ['labels', 4, 'string', 'map<string>'],
    ['resource_version', 5, 'uint64'],
    ['annotations', 6, 'string', 'map<string>'],
    ['workspace', 7, 'string'],
    ['deletion_timestamp_ms', 8, 'int64'],
  ],
  'openshell.datamodel.v1.WorkspaceStatus': [['phase', 1, 'openshell.datamodel.v1.WorkspacePhase']],
  'openshell.datamodel.v1.Workspace': [
    ['metadata', 1, 'openshell.datamodel.v1.ObjectMeta'],
    ['status', 2, 'openshell.datamodel.v1.WorkspaceStatus'],
  ],
  'openshell.datamodel.v1.CredentialHandle': [
    ['driver', 1, 'string'],
    ['handle', 2, 'string'],
    ['metadata', 3, 'string', 'map<string>'],
  ],
  'openshell.datamodel.v1.Provider': [
    ['metadata', 1, 'openshell.datamodel.v1.ObjectMeta'],
    ['type', 2, 'string'],
    ['credentials', 3, 'string', 'map<string>'],
    ['config', 4, 'string', 'map<string>'],
    ['credential_expires_at_ms', 5, 'int64', 'map<string>'],
    ['profile_workspace', 6, 'string'],
    ['credential_handles', 7, 'openshell.datamodel.v1.CredentialHandle', 'map<string>'],
  ],
};

export const ENUMS: Record<string, Record<string, number>> = {
  'openshell.v1.SandboxPhase': {
    SANDBOX_PHASE_UNSPECIFIED: 0,
    SANDBOX_PHASE_PROVISIONING: 1,
    SANDBOX_PHASE_READY: 2,
    SANDBOX_PHASE_ERROR: 3,
    SANDBOX_PHASE_DELETING: 4,
    SANDBOX_PHASE_UNKNOWN: 5,
    SANDBOX_PHASE_STOPPING: 6,
    SANDBOX_PHASE_STOPPED: 7,
    SANDBOX_PHASE_STARTING: 8,
  },
  'openshell.v1.PolicyStatus': {
    POLICY_STATUS_UNSPECIFIED: 0,
    POLICY_STATUS_PENDING: 1,
    POLICY_STATUS_LOADED: 2,
    POLICY_STATUS_FAILED: 3,
    POLICY_STATUS_SUPERSEDED: 4,
  },
  'openshell.v1.ServiceStatus': {
    SERVICE_STATUS_UNSPECIFIED: 0,
    SERVICE_STATUS_HEALTHY: 1,
    SERVICE_STATUS_DEGRADED: 2,
    SERVICE_STATUS_UNHEALTHY: 3,
  },
  'openshell.sandbox.v1.SettingScope': { SETTING_SCOPE_UNSPECIFIED: 0, SETTING_SCOPE_SANDBOX: 1, SETTING_SCOPE_GLOBAL: 2 },
  'openshell.sandbox.v1.PolicySource': { POLICY_SOURCE_UNSPECIFIED: 0, POLICY_SOURCE_SANDBOX: 1, POLICY_SOURCE_GLOBAL: 2 },
  'openshell.datamodel.v1.WorkspacePhase': { WORKSPACE_PHASE_UNSPECIFIED: 0, WORKSPACE_PHASE_ACTIVE: 1, WORKSPACE_PHASE_TERMINATING: 2 },
};

export const RESERVED: Record<string, Array<number | string>> = {
  'openshell.v1.Sandbox': [4, 5, 'phase', 'current_policy_version'],
  'openshell.v1.SandboxSpec': [10, 'gpu_device', 11, 'proposal_approval_mode'],
  'openshell.v1.SandboxTemplate': [9, 'volume_claim_templates'],
  'openshell.sandbox.v1.L7DenyRule': [8],
  'openshell.sandbox.v1.L7Allow': [8],
};

// ---------------------------------------------------------------------------

function loadRoot(dir: string): protobuf.Root {
  const root = new protobuf.Root();
  root.loadSync(
    PROTO_FILES.map((f) => path.join(dir, f)),
    { keepCase: true },
  );
  root.resolveAll();
  return root;
}

const bare = (fullName: string) => fullName.replace(/^\./, '');

function describeField(f: protobuf.Field): Field {
  const type = f.resolvedType ? bare(f.resolvedType.fullName) : f.type;
  let kind = '';
  if (f instanceof protobuf.MapField) kind = `map<${f.keyType}>`;
  else if (f.repeated) kind = 'repeated';
  else if (f.partOf && f.options?.proto3_optional) kind = 'optional';
  else if (f.partOf) kind = `oneof ${f.partOf.name}`;
  return kind ? [f.name, f.id, type, kind] : [f.name, f.id, type];
}

function allTypes(root: protobuf.Root): Map<string, protobuf.Type | protobuf.Enum> {
  const out = new Map<string, protobuf.Type | protobuf.Enum>();
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type || n instanceof protobuf.Enum) out.set(bare(n.fullName), n);
      if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) walk(n);
    }
  };
  walk(root);
  for (const k of [...out.keys()]) if (k.startsWith('google.')) out.delete(k);
  return out;
}

const byId = (a: Field, b: Field) => a[1] - b[1];
const norm = (fields: Field[]): Field[] => fields.map((f): Field => (f[3] ? f : [f[0], f[1], f[2]])).sort(byId);

/** Every difference between a loaded root and the tables (empty = wire-identical). */
function contractDiff(root: protobuf.Root): string[] {
  const diffs: string[] = [];
  const types = allTypes(root);
  const expected = new Set([...Object.keys(MESSAGES), ...Object.keys(ENUMS)]);
  for (const name of expected) if (!types.has(name)) diffs.push(`missing type ${name}`);
  for (const name of types.keys()) if (!expected.has(name)) diffs.push(`unexpected type ${name}`);

  for (const [name, t] of types) {
    const pkg = name.slice(0, name.lastIndexOf('.'));
    const file = t.filename ? path.basename(t.filename) : undefined;
    if (PACKAGE_FILES[pkg] !== file) diffs.push(`${name}: in ${file}, expected ${PACKAGE_FILES[pkg]}`);
  }

  for (const [name, want] of Object.entries(MESSAGES)) {
    const t = types.get(name);
    if (!(t instanceof protobuf.Type)) continue;
    const got = norm(t.fieldsArray.map(describeField));
    const exp = norm(want);
    if (JSON.stringify(got) !== JSON.stringify(exp)) {
      diffs.push(`${name} fields:\n  got      ${JSON.stringify(got)}\n  expected ${JSON.stringify(exp)}`);
    }
    // Oneof groups (real and proto3-optional synthetic ones) follow from the fields.
    const wantOneofs = new Set<string>();
    for (const [fname, , , kind] of want) {
      if (kind === 'optional') wantOneofs.add(`_${fname}`);
      else if (kind?.startsWith('oneof ')) wantOneofs.add(kind.slice(6));
    }
    const gotOneofs = t.oneofsArray.map((o) => o.name).sort();
    if (JSON.stringify(gotOneofs) !== JSON.stringify([...wantOneofs].sort())) {
      diffs.push(`${name} oneofs: got ${gotOneofs}, expected ${[...wantOneofs].sort()}`);
    }
    const gotReserved = (t.reserved ?? []).flatMap(
      (r): Array<number | string | number[]> => (typeof r === 'string' ? [r] : r[0] === r[1] ? [r[0]] : [r]),
    );
    if (JSON.stringify(gotReserved) !== JSON.stringify(RESERVED[name] ?? [])) {
      diffs.push(`${name} reserved: got ${JSON.stringify(gotReserved)}`);
    }
  }

  for (const [name, want] of Object.entries(ENUMS)) {
    const t = types.get(name);
    if (!(t instanceof protobuf.Enum)) continue;
    const sort = (v: Record<string, number>) => JSON.stringify(Object.entries(v).sort());
    if (sort(t.values) !== sort(want)) diffs.push(`${name} values: got ${sort(t.values)}`);
  }

  const svc = root.lookupService(OPENSHELL_SERVICE);
  const gotRpcs = Object.keys(svc.methods).sort();
  if (JSON.stringify(gotRpcs) !== JSON.stringify(Object.keys(RPCS).sort())) {
    diffs.push(`rpcs: got ${gotRpcs}`);
  }
  for (const [name, [req, res, stream]] of Object.entries(RPCS)) {
    const m = svc.methods[name];
    if (!m) continue;
    m.resolve();
    const got = [bare(m.resolvedRequestType!.fullName), bare(m.resolvedResponseType!.fullName), !!m.responseStream, !!m.requestStream];
    if (JSON.stringify(got) !== JSON.stringify([req, res, stream, false])) {
      diffs.push(`rpc ${name}: got ${JSON.stringify(got)}`);
    }
  }
  return diffs;
}

// ---------------------------------------------------------------------------

describe('OpenShell proto wire contract', () => {
  const root = loadRoot(PROTO_DIR);

  it('tables cover every type they reference', () => {
    const known = new Set([...Object.keys(MESSAGES), ...Object.keys(ENUMS)]);
    const scalars = new Set([
      'double',
      'float',
      'int32',
      'int64',
      'uint32',
      'uint64',
      'sint32',
      'sint64',
      'fixed32',
      'fixed64',
      'sfixed32',
      'sfixed64',
      'bool',
      'string',
      'bytes',
    ]);
    const referenced = [
      ...Object.values(MESSAGES)
        .flat()
        .map((f) => f[2]),
      ...Object.values(RPCS).map(([req]) => req),
      ...Object.values(RPCS).map(([, res]) => res),
    ];
    const dangling = referenced.filter((t) => !known.has(t) && !scalars.has(t) && !t.startsWith('google.protobuf.'));
    expect(dangling).toEqual([]);
    expect(Object.keys(RPCS)).toHaveLength(19);
  });

  it('proto/ matches the upstream tables exactly', () => {
    expect(contractDiff(root)).toEqual([]);
  });

  describe('detects drift', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openshell-proto-'));
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
    let n = 0;
    const mutate = (file: string, from: string, to: string): string[] => {
      const dir = path.join(tmp, String(n++));
      fs.mkdirSync(dir);
      for (const f of PROTO_FILES) fs.copyFileSync(path.join(PROTO_DIR, f), path.join(dir, f));
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      expect(text).toContain(from);
      fs.writeFileSync(path.join(dir, file), text.replace(from, to));
      return contractDiff(loadRoot(dir));
    };

    it.each([
      ['field number', 'openshell.proto', 'string review_token = 20;', 'string review_token = 25;'],
      ['field name', 'openshell.proto', 'string rule_name = 3;', 'string rulename = 3;'],
      ['scalar type', 'openshell.proto', 'float confidence = 7;', 'double confidence = 7;'],
      ['repeated label', 'openshell.proto', 'repeated SandboxLogLine logs = 1;', 'SandboxLogLine logs = 1;'],
      ['proto3 optional', 'openshell.proto', 'optional int32 exit_code = 9;', 'int32 exit_code = 9;'],
      [
        'map key type',
        'sandbox.proto',
        'map<string, NetworkPolicyRule> network_policies = 5;',
        'map<int32, NetworkPolicyRule> network_policies = 5;',
      ],
      ['enum value', 'openshell.proto', 'SANDBOX_PHASE_READY = 2;', 'SANDBOX_PHASE_READY = 9;'],
      ['streaming flag', 'openshell.proto', 'returns (stream SandboxStreamEvent)', 'returns (SandboxStreamEvent)'],
      ['datamodel field', 'datamodel.proto', 'uint64 resource_version = 5;', 'int64 resource_version = 5;'],
    ])('%s', (_label, file, from, to) => {
      expect(mutate(file, from, to).length).toBeGreaterThan(0);
    });
  });

  it('golden bytes for hand-encoded messages', () => {
    const hex = (type: string, obj: Record<string, unknown>) => {
      const T = root.lookupType(type);
      return Buffer.from(T.encode(T.fromObject(obj)).finish()).toString('hex');
    };
    // name=1 "s", chunk_id=2 "c", review_token=4 "t"
    expect(hex('openshell.v1.ApproveDraftChunkRequest', { name: 's', chunk_id: 'c', review_token: 't' })).toBe('0a0173120163220174');
    // oneof payload: warning=4 { message=1 "w" }
    expect(hex('openshell.v1.SandboxStreamEvent', { warning: { message: 'w' } })).toBe('2203' + '0a0177');
    // merge_operations=7 [{ remove_rule=3 { rule_name=1 "r" } }], expected_resource_version=8 5
    expect(
      hex('openshell.v1.UpdateConfigRequest', {
        merge_operations: [{ remove_rule: { rule_name: 'r' } }],
        expected_resource_version: 5,
      }),
    ).toBe('3a05' + '1a03' + '0a0172' + '4005');
  });

  it('grpc-js service definition exposes exactly these methods', () => {
    const def = openShellServiceDefinition;
    expect(Object.keys(def).sort()).toEqual(Object.keys(RPCS).sort());
    for (const [name, [, , stream]] of Object.entries(RPCS)) {
      expect(def[name].path).toBe(`/${OPENSHELL_SERVICE}/${name}`);
      expect(def[name].requestStream).toBe(false);
      expect(def[name].responseStream).toBe(stream);
    }
  });
});
