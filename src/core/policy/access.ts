// The `access` shorthand expands to explicit allow rules, as upstream's expand_access_presets does.
// Expansion applies only when the endpoint has no explicit rules; protocol defaults to rest for it.
import type { L7Rule, NetworkEndpoint } from './types.js';

export const ACCESS_PRESETS = ['read-only', 'read-write', 'full'] as const;

const rest = (...methods: string[]): L7Rule[] => methods.map((method) => ({ allow: { method, path: '**' } }));

function presetRules(protocol: string, access: string): L7Rule[] | undefined {
  if (protocol === 'graphql') {
    const op = (operation_type: string): L7Rule => ({ allow: { operation_type } });
    if (access === 'read-only') return [op('query')];
    if (access === 'read-write') return [op('query'), op('mutation')];
    if (access === 'full') return [op('*')];
    return undefined;
  }
  if (protocol === 'websocket') {
    if (access === 'read-only') return rest('GET');
    if (access === 'read-write') return rest('GET', 'WEBSOCKET_TEXT');
    if (access === 'full') return rest('*');
    return undefined;
  }
  if (access === 'read-only') return rest('GET', 'HEAD', 'OPTIONS');
  if (access === 'read-write') return rest('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH');
  if (access === 'full') return rest('*');
  return undefined;
}

/** The rules an endpoint enforces: its own, or those its access shorthand stands for. */
export function effectiveRules(endpoint: NetworkEndpoint): L7Rule[] {
  if (endpoint.rules && endpoint.rules.length > 0) return endpoint.rules;
  if (!endpoint.access) return [];
  return presetRules((endpoint.protocol ?? '').trim().toLowerCase() || 'rest', endpoint.access) ?? [];
}
