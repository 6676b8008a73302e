// Policy tiers: named postures that map to a set of built-in presets, after NemoClaw's tiers.yaml.
// The baseline policy always applies; a tier only adds presets on top of it. `access` says what the
// preset as shipped lets through ('read' = GET/HEAD/OPTIONS only), so choosing a tier shows the operator
// whether it can change anything remote. Unlike NemoClaw (every balanced preset read-write), balanced
// here is read-only except the Hugging Face Inference API, which needs POST to run a model at all.
// `open` adds exactly NemoClaw's messaging and productivity presets (tiers.yaml: slack, discord,
// telegram, wechat, whatsapp, jira, outlook); GitHub and the container registries stay opt-in presets.
import { didYouMean } from '../text/did-you-mean.js';
import { PresetError } from './preset-error.js';

export type TierAccess = 'read' | 'read-write';

export interface TierPreset {
  name: string;
  access: TierAccess;
}

export interface Tier {
  name: string;
  label: string;
  description: string;
  presets: readonly TierPreset[];
}

const BALANCED: readonly TierPreset[] = [
  { name: 'npm', access: 'read' },
  { name: 'pypi', access: 'read' },
  { name: 'huggingface', access: 'read-write' },
  { name: 'brew', access: 'read' },
  { name: 'brave', access: 'read' },
];

/** Ordered from most to least restrictive. */
export const TIERS: readonly Tier[] = [
  {
    name: 'restricted',
    label: 'Restricted',
    description: 'Baseline policy only. No third-party network access beyond what the baseline allows.',
    presets: [],
  },
  {
    name: 'balanced',
    label: 'Balanced',
    description: 'Package installs, model downloads and web search, read-only where that is enough. No messaging or productivity services.',
    presets: BALANCED,
  },
  {
    name: 'open',
    label: 'Open',
    description: 'Balanced plus messaging and productivity services, with write access. The operator accepts the wider scope.',
    presets: [
      ...BALANCED,
      { name: 'slack', access: 'read-write' },
      { name: 'discord', access: 'read-write' },
      { name: 'telegram', access: 'read-write' },
      { name: 'wechat', access: 'read-write' },
      { name: 'whatsapp', access: 'read-write' },
      { name: 'jira', access: 'read-write' },
      { name: 'outlook', access: 'read-write' },
    ],
  },
];

/** The preset names a tier applies, in application order. */
export function presetsForTier(name: string): string[] {
  const tier = TIERS.find((t) => t.name === name);
  if (!tier) {
    const names = TIERS.map((t) => t.name);
    throw new PresetError('not-found', `Unknown tier '${name}'${didYouMean(name, names)}; tiers are ${names.join(', ')}`);
  }
  return tier.presets.map((p) => p.name);
}
