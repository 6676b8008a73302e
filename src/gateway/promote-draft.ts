// Promote, before anything is written: the defaults a dialog or a command starts from, and a live preview
// made by the same code that writes the file (the core's presetFromRequest), so what is shown is what
// would be written. The rules (names, which methods are read-only) are the core's, never the UI's.
import { defaultAccess, presetFromRequest, presetYaml } from '../core/presets/promote.js';
import type { InboxRequest, PresetSummary, PromoteRequest } from './gateway.js';

/** A preset name from a host: "api.pypi.org" → "api-pypi-org" (an RFC 1123 label). */
export function presetNameFor(host: string): string {
  return (
    host
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63)
      .replace(/-+$/, '') || 'preset'
  );
}

/** The form a promote starts from: a name from the host, the narrowest access, any binary only when unknown. */
export function promoteDefaults(r: InboxRequest): PromoteRequest {
  return {
    name: presetNameFor(r.host),
    description: '',
    access: defaultAccess(r.samples[0]?.method),
    anyBinary: r.binary === 'unknown',
  };
}

export interface PromotePreview {
  yaml?: string;
  error?: string;
}

/** The preset YAML this form would write, or why it cannot be written (built-in names are refused). */
export function previewPromote(r: InboxRequest, form: PromoteRequest, builtinNames: readonly string[]): PromotePreview {
  if (builtinNames.includes(form.name.trim())) return { error: `'${form.name}' is a built-in preset name; choose another` };
  try {
    const doc = presetFromRequest({
      host: r.host,
      port: r.port,
      binary: r.binary,
      method: r.samples[0]?.method,
      name: form.name,
      description: form.description || undefined,
      access: form.access,
      anyBinary: form.anyBinary,
      ...(r.operation ? { operation: r.operation, operationPath: r.operationPath } : {}),
    });
    return { yaml: presetYaml(doc).trimEnd() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export const builtinNamesOf = (presets: readonly PresetSummary[]): string[] =>
  presets.filter((p) => p.source === 'builtin').map((p) => p.name);
