// Decoded wire messages → remote-model.ts, for both protocol generations. Where 0.0.x and 0.1.x
// differ only in where a value lives (an int64 `*_ms` vs a google.protobuf.Timestamp at a new number,
// a sandbox id vs a name plus workspace), the difference is here and nowhere else.
import type { LogLevel } from '../../core/engine/log-buffer.js';
import { policyFromProto, ruleFromProto } from './policy-codec.js';
import type {
  AdmissionState,
  ChunkStatus,
  DraftHistoryEntry,
  EffectiveSetting,
  RemoteChunk,
  RemoteLogLine,
  RemoteProvider,
  RemoteRevision,
  RemoteSandbox,
  SettingValue,
  WatchEvent,
} from './remote-model.js';
import { list, num, obj, oneof, optObj, str, stringMap, strings, timestampMs, type Wire } from './wire.js';

export type Gen = 'legacy' | 'current';

/** A time that 0.0.x sends as `<name>_ms` (int64) and 0.1.x as `<name>_time` / another Timestamp field. */
function time(message: unknown, gen: Gen, legacyField: string, currentField: string): number {
  return gen === 'current' ? timestampMs(message, currentField) : num(message, legacyField);
}

/** `SANDBOX_PHASE_READY` → `Ready`. */
export function phaseName(value: string, prefix = 'SANDBOX_PHASE_'): string {
  const bare = (value || `${prefix}UNKNOWN`).replace(prefix, '');
  return bare.charAt(0) + bare.slice(1).toLowerCase();
}

export function sandboxFromWire(sb: Wire, gen: Gen): RemoteSandbox {
  const metadata = obj(sb, 'metadata');
  const status = obj(sb, 'status');
  const spec = obj(sb, 'spec');
  const admission = optObj(status, 'configuration_admission');
  return {
    ref: { name: str(metadata, 'name'), workspace: str(metadata, 'workspace') || 'default', id: str(metadata, 'id') },
    phase: phaseName(str(status, 'phase')),
    createdAt: time(metadata, gen, 'created_at_ms', 'created_time'),
    policyVersion: num(status, 'current_policy_version'),
    image: str(obj(spec, 'template'), 'image'),
    providers: strings(spec, 'providers'),
    conditions: list(status, 'conditions').map((c) => ({
      type: str(c, 'type'),
      status: str(c, 'status'),
      reason: str(c, 'reason'),
      message: str(c, 'message'),
      time: gen === 'current' ? timestampMs(c, 'transition_time') : Date.parse(str(c, 'last_transition_time')) || 0,
    })),
    ...(admission
      ? {
          admission: {
            state: admissionState(str(admission, 'state')),
            error: str(admission, 'error'),
            policyVersion: num(admission, 'policy_version'),
          },
        }
      : {}),
    restartCount: num(status, 'restart_count'),
    ...(typeof status.exit_code === 'number' ? { exitCode: status.exit_code } : {}),
  };
}

function admissionState(value: string): AdmissionState {
  const bare = value.replace('CONFIGURATION_ADMISSION_STATE_', '').toLowerCase();
  return bare === 'pending' || bare === 'accepted' || bare === 'rejected' ? bare : 'unknown';
}

export function chunkFromWire(c: Wire, gen: Gen): RemoteChunk {
  const status = str(c, 'status');
  const created = time(c, gen, 'created_at_ms', 'created_time');
  return {
    id: str(c, 'id'),
    status: (status === 'approved' || status === 'rejected' ? status : 'pending') satisfies ChunkStatus,
    ruleName: str(c, 'rule_name'),
    rule: ruleFromProto(c.proposed_rule),
    rationale: str(c, 'rationale'),
    securityNotes: str(c, 'security_notes'),
    confidence: num(c, 'confidence'),
    stage: str(c, 'stage'),
    supersedes: str(c, 'supersedes_chunk_id'),
    createdAt: created,
    decidedAt: time(c, gen, 'decided_at_ms', 'decided_time'),
    firstSeen: time(c, gen, 'first_seen_ms', 'first_seen_time') || created,
    lastSeen: time(c, gen, 'last_seen_ms', 'last_seen_time') || created,
    hitCount: num(c, 'hit_count') || 1,
    binary: str(c, 'binary'),
    validationResult: str(c, 'validation_result'),
    rejectionReason: str(c, 'rejection_reason'),
    applicationError: str(c, 'application_error'),
    reviewToken: str(c, 'review_token'),
  };
}

export function logFromWire(log: Wire, gen: Gen): RemoteLogLine {
  return {
    time: time(log, gen, 'timestamp_ms', 'event_time') || Date.now(),
    level: str(log, 'level'),
    target: str(log, 'target'),
    message: str(log, 'message'),
    source: str(log, 'source') || 'gateway',
    fields: stringMap(log, 'fields'),
  };
}

const LEVELS: Record<string, LogLevel> = { ERROR: 'error', WARN: 'warn', INFO: 'info', OCSF: 'info', DEBUG: 'debug', TRACE: 'debug' };
export const logLevel = (level: string): LogLevel => LEVELS[level.toUpperCase()] ?? 'info';

export function watchEventFromWire(event: Wire, gen: Gen): WatchEvent | undefined {
  const payload = oneof(event, 'payload');
  const cursor = str(event, 'cursor');
  if (!payload) return undefined;
  const [which, body] = payload;
  switch (which) {
    case 'sandbox':
      return { kind: 'sandbox', sandbox: sandboxFromWire(body, gen) };
    case 'log':
      return { kind: 'log', line: logFromWire(body, gen), cursor };
    case 'event':
      return {
        kind: 'platform',
        time: time(body, gen, 'timestamp_ms', 'event_time'),
        source: str(body, 'source'),
        type: str(body, 'type'),
        reason: str(body, 'reason'),
        message: str(body, 'message'),
        cursor,
      };
    case 'warning':
      return { kind: 'warning', message: str(body, 'message') };
    case 'draft_policy_update':
      return {
        kind: 'draft',
        notice: {
          draftVersion: str(body, 'draft_version'),
          newChunks: num(body, 'new_chunks'),
          totalPending: num(body, 'total_pending'),
          summary: str(body, 'summary'),
        },
      };
    default:
      return undefined;
  }
}

export function revisionFromWire(r: Wire, gen: Gen): RemoteRevision {
  const policy = optObj(r, 'policy');
  return {
    version: num(r, 'version'),
    hash: str(r, 'policy_hash'),
    status: str(r, 'status').replace('POLICY_STATUS_', '').toLowerCase() || 'unspecified',
    loadError: str(r, 'load_error'),
    createdAt: time(r, gen, 'created_at_ms', 'created_time'),
    loadedAt: time(r, gen, 'loaded_at_ms', 'loaded_time'),
    ...(policy ? { policy: policyFromProto(policy) } : {}),
    provenance: stringMap(r, 'provenance'),
  };
}

export function providerFromWire(p: Wire, gen: Gen): RemoteProvider {
  const metadata = obj(p, 'metadata');
  const expiry =
    gen === 'current'
      ? Object.fromEntries(
          Object.keys(obj(p, 'credential_expiration_times')).map((k) => [k, timestampMs(obj(p, 'credential_expiration_times'), k)]),
        )
      : Object.fromEntries(Object.entries(obj(p, 'credential_expires_at_ms')).map(([k, v]) => [k, Number(v) || 0]));
  return {
    name: str(metadata, 'name'),
    workspace: str(metadata, 'workspace') || 'default',
    type: str(p, 'type'),
    // Only the names: the values (redacted by gateways anyway) are dropped here, before anything can show them.
    credentialNames: Object.keys(obj(p, 'credentials')).sort(),
    credentialExpiry: expiry,
    configKeys: Object.keys(obj(p, 'config')).sort(),
  };
}

export function settingFromWire(value: Wire | undefined): SettingValue {
  const set = value ? oneof(value, 'value') : undefined;
  if (!set || !value) return { kind: 'unset' };
  const [which] = set;
  const raw = value[which];
  if (which === 'string_value') return { kind: 'string', value: typeof raw === 'string' ? raw : '' };
  if (which === 'bool_value') return { kind: 'bool', value: raw === true };
  if (which === 'int_value') return { kind: 'int', value: String(raw ?? '0') };
  if (which === 'bytes_value') return { kind: 'bytes', value: Buffer.isBuffer(raw) ? raw.toString('base64') : String(raw ?? '') };
  return { kind: 'unset' };
}

export function settingToWire(value: SettingValue): Wire {
  switch (value.kind) {
    case 'string':
      return { string_value: value.value };
    case 'bool':
      return { bool_value: value.value };
    case 'int':
      return { int_value: value.value };
    case 'bytes':
      return { bytes_value: Buffer.from(value.value, 'base64') };
    default:
      return {};
  }
}

export function effectiveSettingsFromWire(settings: Wire): Record<string, EffectiveSetting> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, entry]) => {
      const value = settingFromWire(optObj(entry, 'value'));
      const scope = str(entry, 'scope');
      const source: EffectiveSetting['source'] = value.kind === 'unset' ? 'unset' : scope === 'SETTING_SCOPE_GLOBAL' ? 'global' : 'sandbox';
      return [key, { value, source }];
    }),
  );
}

export function historyFromWire(entries: Wire[], gen: Gen): DraftHistoryEntry[] {
  return entries.map((e) => ({
    time: time(e, gen, 'timestamp_ms', 'event_time'),
    type: str(e, 'event_type'),
    description: str(e, 'description'),
    chunkId: str(e, 'chunk_id'),
  }));
}

export function policySourceOf(value: string): 'sandbox' | 'global' | 'unspecified' {
  return value === 'POLICY_SOURCE_GLOBAL' ? 'global' : value === 'POLICY_SOURCE_SANDBOX' ? 'sandbox' : 'unspecified';
}
