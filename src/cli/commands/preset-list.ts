// How `preset list` prints, locally and against a gateway alike.
import type { PresetInfo } from '../../core/presets/preset-store.js';

/** One line a preset: ● applied / ○ not, name, built-in or custom, description. */
export function formatPresetList(list: Array<Pick<PresetInfo, 'name' | 'source' | 'applied' | 'description'>>): string {
  const width = Math.max(4, ...list.map((p) => p.name.length));
  return (
    list.map((p) => `${p.applied ? '●' : '○'} ${p.name.padEnd(width)}  ${p.source.padEnd(7)}  ${p.description}`).join('\n') || 'no presets'
  );
}
