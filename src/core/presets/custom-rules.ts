// Rules a custom (operator-supplied) preset must meet on top of the policy loader's: it may not pose as a
// built-in, by name or by owning a network_policies key a built-in owns (it would silently replace that
// built-in's entry when layered), and no host may be a catch-all in any spelling. The loader already
// refuses allowed_ips outside host.openshell.internal, '_provider_' names and keys, and bad names.
import type { PolicyProblem } from '../policy/source.js';
import type { PositionIndex } from '../policy/yaml-walk.js';
import type { PresetDocument } from '../policy/types.js';
import { PresetError } from './preset-error.js';

/** Keys NemoClaw reserves even though no built-in here ships them. */
const ALWAYS_RESERVED_KEYS = ['personal_open_internet'];
const CATCH_ALL_HOSTS = new Set(['*', '**', '0.0.0.0', '0.0.0.0/0', '::', '::/0']);

export interface BuiltinIndex {
  names: ReadonlySet<string>;
  /** network_policies key → the built-in preset that owns it. */
  keyOwners: ReadonlyMap<string, string>;
}

export function assertCustomPreset(doc: PresetDocument, file: string, positions: PositionIndex, builtins: BuiltinIndex): void {
  const problems: PolicyProblem[] = [];
  const at = (path: string) => positions.get(path) ?? positions.get('') ?? { line: 1, col: 1 };
  const error = (path: string, message: string) => problems.push({ file, ...at(path), message, severity: 'error' });
  let conflict = false;

  const name = doc.preset.name;
  if (builtins.names.has(name)) {
    conflict = true;
    error('preset.name', `Preset name '${name}' collides with a built-in preset. Rename 'preset.name' in ${file}.`);
  }
  for (const [key, rule] of Object.entries(doc.network_policies)) {
    const owner = builtins.keyOwners.get(key);
    if (owner !== undefined || ALWAYS_RESERVED_KEYS.includes(key)) {
      conflict = true;
      const whose = owner !== undefined ? ` (it belongs to built-in preset '${owner}')` : '';
      error(`network_policies.${key}#key`, `Custom presets cannot own reserved network policy key '${key}'${whose}.`);
    }
    rule.endpoints.forEach((endpoint, i) => {
      const host = endpoint.host;
      if (host !== undefined && CATCH_ALL_HOSTS.has(bareHost(host))) {
        error(
          `network_policies.${key}.endpoints[${i}].host`,
          `host "${host}" is not allowed — use a specific public hostname (subdomain wildcards like "*.example.com" are allowed)`,
        );
      }
    });
  }
  if (problems.length === 0) return;
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  const failure = PresetError.fromProblems(problems);
  throw conflict ? new PresetError('conflict', failure.message, problems) : failure;
}

/** The host as NemoClaw compares it: trimmed, brackets and a ':port' suffix removed. */
function bareHost(host: string): string {
  let h = host.trim();
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(h);
  if (bracketed) return bracketed[1];
  // One colon means host:port; more is an IPv6 literal (or CIDR) and stays as it is.
  if (h.split(':').length === 2) h = h.slice(0, h.indexOf(':'));
  return h;
}
