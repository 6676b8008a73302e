// Typed validation of a setting typed by an operator, before it goes to a gateway: upstream's registry
// of runtime settings (crates/openshell-core/src/settings.rs) gives each key a kind and, for some, the
// only values allowed; its TUI parses bools the same lenient way. A key the registry lacks takes the
// kind of the value the gateway already reports for it; a key neither knows is refused here, as the
// gateway would refuse it.
import { GatewayError } from './grpc-errors.js';
import type { SettingValue } from './remote-model.js';

type Kind = 'string' | 'int' | 'bool';

export const REGISTERED_SETTINGS: Record<string, { kind: Kind; allowed?: readonly string[] }> = {
  providers_v2_enabled: { kind: 'bool' },
  ocsf_json_enabled: { kind: 'bool' },
  agent_policy_proposals_enabled: { kind: 'bool' },
  proposal_approval_mode: { kind: 'string', allowed: ['manual', 'auto'] },
};

export function parseBoolLike(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'y', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'n', 'off'].includes(v)) return false;
  return undefined;
}

export function parseSetting(key: string, raw: string, current?: SettingValue): SettingValue {
  if (key === 'policy') throw new GatewayError('invalid-argument', "'policy' is reserved: change policies with merges, not settings");
  const registered = REGISTERED_SETTINGS[key];
  const kind: Kind | undefined =
    registered?.kind ?? (current && current.kind !== 'unset' && current.kind !== 'bytes' ? current.kind : undefined);
  if (!kind)
    throw new GatewayError('invalid-argument', `unknown setting '${key}' (registered: ${Object.keys(REGISTERED_SETTINGS).join(', ')})`);
  const text = raw.trim();
  if (kind === 'bool') {
    const value = parseBoolLike(text);
    if (value === undefined)
      throw new GatewayError('invalid-argument', `${key} takes a bool (true/false, yes/no, on/off, 1/0), got '${raw}'`);
    return { kind, value };
  }
  if (kind === 'int') {
    if (!/^-?\d{1,19}$/.test(text) || BigInt(text) > 2n ** 63n - 1n || BigInt(text) < -(2n ** 63n))
      throw new GatewayError('invalid-argument', `${key} takes a 64-bit integer, got '${raw}'`);
    return { kind, value: BigInt(text).toString() };
  }
  if (registered?.allowed && !registered.allowed.includes(text))
    throw new GatewayError('invalid-argument', `${key} must be one of ${registered.allowed.join(', ')}, got '${raw}'`);
  return { kind: 'string', value: text };
}

export function formatSetting(value: SettingValue): string {
  return value.kind === 'unset' ? '(unset)' : String(value.value);
}

/** What the console needs to check a typed value before sending it: the key's type, and its allowed values. */
export function settingSchema(key: string, current: SettingValue): { type?: Kind; allowed?: readonly string[] } {
  const registered = REGISTERED_SETTINGS[key];
  if (registered) return registered.allowed ? { type: registered.kind, allowed: registered.allowed } : { type: registered.kind };
  return current.kind === 'bool' || current.kind === 'int' || current.kind === 'string' ? { type: current.kind } : {};
}
