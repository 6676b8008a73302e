// A preset document as YAML in the layout NemoClaw's own presets use: the preset header, a blank line,
// then network_policies as a block mapping (NemoClaw's apply step only finds entries written that way),
// with one-line `{ method, path }` rules and `{ path }` binaries.
import { Document, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { PresetDocument } from '../policy/types.js';

export function presetYaml(doc: PresetDocument): string {
  const out = new Document({ preset: doc.preset, network_policies: doc.network_policies });
  if (isMap(out.contents)) {
    for (const pair of out.contents.items) {
      if (isScalar(pair.key) && pair.key.value === 'network_policies') {
        pair.key.spaceBefore = true;
        if (isMap(pair.value)) for (const rule of pair.value.items) compactRule(rule.value as Node | null);
      }
    }
  }
  return out.toString({ lineWidth: 0 });
}

function compactRule(rule: Node | null) {
  if (!isMap(rule)) return;
  for (const field of rule.items) {
    if (!isPair(field) || !isScalar(field.key) || !isSeq(field.value)) continue;
    if (field.key.value === 'binaries') for (const binary of field.value.items) if (isMap(binary)) binary.flow = true;
    if (field.key.value === 'endpoints') for (const endpoint of field.value.items) compactEndpoint(endpoint as Node);
  }
}

function compactEndpoint(endpoint: Node) {
  if (!isMap(endpoint)) return;
  for (const field of endpoint.items) {
    if (!isScalar(field.key) || !isSeq(field.value)) continue;
    if (field.key.value === 'rules') {
      for (const rule of field.value.items) {
        if (!isMap(rule)) continue;
        for (const allow of rule.items) if (isMap(allow.value)) allow.value.flow = true;
      }
    }
    if (field.key.value === 'deny_rules') for (const rule of field.value.items) if (isMap(rule)) rule.flow = true;
  }
}
