// The canonical YAML of a whole policy, character for character what canonicalYaml() gives, built from one
// cached piece per network_policies entry. Every revision needs the YAML of the whole effective policy;
// with thousands of session approvals, rendering all of them again for each new revision made every
// approval cost as much as the first approve-all (the yaml library renders ~2 MB/s), and blocked the
// event loop the proxy runs on meanwhile. An entry's piece depends only on its key and content, so each
// is rendered once (keyed by its canonical JSON, which is cheap) and reused while it stays in the cache.
import { stringify } from 'yaml';
import { LruCache } from '../lru-cache.js';
import { canonicalYaml, sortKeys } from './canonical-yaml.js';

// sortKeys copies every object, so there are no shared ones to alias: skip the library's search for them.
const OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;
// A plain scalar the yaml library writes as is; it stands for the entries while the rest is rendered.
const PLACEHOLDER = 'openshell_term_network_policies_placeholder_7c1f';
const pieces = new LruCache<string, string>(50_000);

export function canonicalPolicyYaml(policy: unknown): string {
  if (!policy || typeof policy !== 'object' || Array.isArray(policy)) return canonicalYaml(policy);
  const entries = (policy as { network_policies?: unknown }).network_policies;
  if (!entries || typeof entries !== 'object' || Array.isArray(entries) || Object.keys(entries).length === 0) return canonicalYaml(policy);
  const sorted = sortKeys({ ...policy, network_policies: PLACEHOLDER }) as Record<string, unknown>;
  const head = stringify(sorted, OPTIONS);
  const line = `network_policies: ${PLACEHOLDER}\n`;
  if (!head.includes(line)) return canonicalYaml(policy);
  let body = '';
  for (const key of Object.keys(entries).sort()) body += piece(key, (entries as Record<string, unknown>)[key]);
  return head.replace(line, `network_policies:\n${body}`);
}

/** `key: value` as the yaml library writes it one level down (indented by two spaces). */
function piece(key: string, value: unknown): string {
  const sorted = sortKeys(value);
  const id = JSON.stringify([key, sorted]);
  let text = pieces.get(id);
  if (text === undefined) {
    text = stringify({ [key]: sorted }, OPTIONS)
      .split('\n')
      .map((l) => (l === '' ? l : `  ${l}`))
      .join('\n');
    pieces.set(id, text);
  }
  return text;
}
