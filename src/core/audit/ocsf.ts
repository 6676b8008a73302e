// Audit events as OCSF 1.1.0 objects, so a SIEM can ingest the log without a custom parser. Only what we
// know is filled in; everything passes through the redaction rule in redact.ts first.
//
// Network events → Network Activity (class 4001, category 4 Network Activity):
//   allowed → activity Open (1),     action Allowed (1), disposition Allowed (1) — or Detected (15) when the
//                                    rules would have denied it and audit mode let it through; severity 1 / 2
//   denied  → activity Refuse (5),   action Denied (2),  disposition Blocked (2);  severity Medium (3)
//   held    → activity Other (99),   action Other (99, "Held"), disposition Delayed (14); severity Low (2)
//   failed  → activity Fail (4),     action Allowed (1),  disposition Other (99, "Upstream failed"); severity Low (2)
//             (allowed by policy, but the upstream was unreachable, refused, reset, timed out or misbehaved)
//             (held is not a final verdict: the decision follows as its own allowed/denied event)
//   the policy is firewall_rule.name, the decision stage (l4, l7, ssrf, no_match…) firewall_rule.type; the
//   HTTP method and path (no query) are in unmapped, as this class has no HTTP request of its own.
//
// Config events → Entity Management (class 3004, category 3 Identity & Access Management): "activity by a
//   user at a management console … on a managed entity", which is what an operator's decision is. The entity
//   is the approval, preset, or policy the change touched (entity.type = the change), the operator is
//   actor.user. approve / approve-all / reject / preset-add → Create (1), undo / preset-remove → Delete (4),
//   promote / tier → Update (3). A reject creates a session-scoped deny, hence Create.
import { basename } from 'node:path';
import { isIP } from 'node:net';
import type { ConfigEvent, NetworkEvent } from './audit-events.js';
import { redactPath, redactText } from './redact.js';

export const OCSF_VERSION = '1.1.0';
const METADATA = { product: { name: 'openshell-term', vendor_name: 'openshell-term' }, version: OCSF_VERSION };
const SEVERITY: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium' };

export function networkActivity(event: NetworkEvent, time: number): Record<string, unknown> {
  const verdict = NETWORK[event.action];
  const audited = event.action === 'allowed' && event.audit === true;
  const disposition = audited ? { id: 15, name: 'Detected' } : verdict.disposition;
  const severity = audited ? 2 : verdict.severity;
  const unmapped: Record<string, unknown> = { audit: event.audit === true };
  if (event.requestId !== undefined) unmapped.request_id = event.requestId;
  if (event.method !== undefined) unmapped.http_method = event.method;
  if (event.path !== undefined) unmapped.url_path = redactPath(event.path);
  const rule: Record<string, unknown> = { type: event.stage };
  if (event.policy !== null) rule.name = event.policy;
  const process: Record<string, unknown> = { file: { path: event.binary, name: basename(event.binary), type_id: 1, type: 'Regular File' } };
  if (event.pid !== undefined) process.pid = event.pid;
  const endpoint: Record<string, unknown> = { hostname: event.host, port: event.port };
  if (isIP(event.host)) endpoint.ip = event.host;
  return {
    class_uid: 4001,
    class_name: 'Network Activity',
    category_uid: 4,
    category_name: 'Network Activity',
    activity_id: verdict.activity.id,
    activity_name: verdict.activity.name,
    type_uid: 4001 * 100 + verdict.activity.id,
    type_name: `Network Activity: ${verdict.activity.name}`,
    time,
    severity_id: severity,
    severity: SEVERITY[severity],
    action_id: verdict.action.id,
    action: verdict.action.name,
    disposition_id: disposition.id,
    disposition: disposition.name,
    message: redactText(event.reason),
    dst_endpoint: endpoint,
    connection_info: { direction_id: 2, direction: 'Outbound', protocol_num: 6, protocol_name: 'tcp' },
    actor: { process },
    firewall_rule: rule,
    metadata: METADATA,
    unmapped,
  };
}

/** `,"name":value` as JSON.stringify writes an object member, or nothing for undefined (which it skips). */
function member(name: string, value: unknown): string {
  return value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`;
}

/** Per verdict kind: the constant stretches of a network record's JSON, cut around its variable fields. */
const NETWORK_JSON = new Map<string, { head: string; mid: string }>();

/**
 * networkActivity(event, time) as JSON, character for character, without building the object: the proxy
 * records one per request, and most of the record is constant. Only the variable fields are stringified
 * (test/audit/ocsf-json.test.ts holds the two to the same output).
 */
export function networkActivityJson(event: NetworkEvent, time: number): string {
  const verdict = NETWORK[event.action];
  const audited = event.action === 'allowed' && event.audit === true;
  const disposition = audited ? { id: 15, name: 'Detected' } : verdict.disposition;
  const severity = audited ? 2 : verdict.severity;
  const key = `${event.action}|${audited}`;
  let parts = NETWORK_JSON.get(key);
  if (!parts) {
    const head = `{"class_uid":4001,"class_name":"Network Activity","category_uid":4,"category_name":"Network Activity","activity_id":${verdict.activity.id},"activity_name":${JSON.stringify(verdict.activity.name)},"type_uid":${4001 * 100 + verdict.activity.id},"type_name":${JSON.stringify(`Network Activity: ${verdict.activity.name}`)},"time":`;
    const mid = `,"severity_id":${severity},"severity":${JSON.stringify(SEVERITY[severity])},"action_id":${verdict.action.id},"action":${JSON.stringify(verdict.action.name)},"disposition_id":${disposition.id},"disposition":${JSON.stringify(disposition.name)},"message":`;
    parts = { head, mid };
    NETWORK_JSON.set(key, parts);
  }
  return (
    parts.head +
    JSON.stringify(time) +
    parts.mid +
    JSON.stringify(redactText(event.reason)) +
    `,"dst_endpoint":{"hostname":${JSON.stringify(event.host)}${member('port', event.port)}${isIP(event.host) ? member('ip', event.host) : ''}}` +
    CONNECTION_INFO_JSON +
    `,"actor":{"process":{"file":{"path":${JSON.stringify(event.binary)},"name":${JSON.stringify(basename(event.binary))},"type_id":1,"type":"Regular File"}${member('pid', event.pid)}}}` +
    `,"firewall_rule":{"type":${JSON.stringify(event.stage)}${event.policy !== null ? member('name', event.policy) : ''}}` +
    METADATA_JSON +
    `,"unmapped":{"audit":${event.audit === true}${member('request_id', event.requestId)}${member('http_method', event.method)}${event.path !== undefined ? member('url_path', redactPath(event.path)) : ''}}}`
  );
}

const CONNECTION_INFO_JSON = ',"connection_info":{"direction_id":2,"direction":"Outbound","protocol_num":6,"protocol_name":"tcp"}';
const METADATA_JSON = `,"metadata":${JSON.stringify(METADATA)}`;

interface Named {
  id: number;
  name: string;
}
const NETWORK: Record<NetworkEvent['action'], { activity: Named; action: Named; disposition: Named; severity: number }> = {
  allowed: { activity: { id: 1, name: 'Open' }, action: { id: 1, name: 'Allowed' }, disposition: { id: 1, name: 'Allowed' }, severity: 1 },
  denied: { activity: { id: 5, name: 'Refuse' }, action: { id: 2, name: 'Denied' }, disposition: { id: 2, name: 'Blocked' }, severity: 3 },
  held: { activity: { id: 99, name: 'Other' }, action: { id: 99, name: 'Held' }, disposition: { id: 14, name: 'Delayed' }, severity: 2 },
  failed: {
    activity: { id: 4, name: 'Fail' },
    action: { id: 1, name: 'Allowed' },
    disposition: { id: 99, name: 'Upstream failed' },
    severity: 2,
  },
};

const CREATE: Named = { id: 1, name: 'Create' };
const UPDATE: Named = { id: 3, name: 'Update' };
const DELETE: Named = { id: 4, name: 'Delete' };
const CONFIG_ACTIVITY: Record<ConfigEvent['change'], Named> = {
  approve: CREATE,
  'approve-all': CREATE,
  reject: CREATE,
  'preset-add': CREATE,
  undo: DELETE,
  'preset-remove': DELETE,
  promote: UPDATE,
  tier: UPDATE,
  merge: UPDATE,
};

export function entityManagement(event: ConfigEvent, time: number): Record<string, unknown> {
  const activity = CONFIG_ACTIVITY[event.change];
  const entity: Record<string, unknown> = { name: redactText(event.target), type: event.change };
  if (event.revision !== undefined) entity.version = String(event.revision);
  return {
    class_uid: 3004,
    class_name: 'Entity Management',
    category_uid: 3,
    category_name: 'Identity & Access Management',
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: 3004 * 100 + activity.id,
    type_name: `Entity Management: ${activity.name}`,
    time,
    severity_id: 1,
    severity: SEVERITY[1],
    status_id: event.outcome === 'failure' ? 2 : 1,
    status: event.outcome === 'failure' ? 'Failure' : 'Success',
    message: redactText(event.detail ?? `${event.change} ${event.target}`),
    actor: { user: { name: event.actor } },
    entity,
    metadata: METADATA,
    unmapped: { change: event.change, ...(event.revision !== undefined ? { revision: event.revision } : {}) },
  };
}
