// One spelling per policy: keys sorted at every level, so equal policies hash equally.
import { stringify } from 'yaml';

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function canonicalYaml(value: unknown): string {
  return stringify(sortKeys(value), { lineWidth: 0 });
}
