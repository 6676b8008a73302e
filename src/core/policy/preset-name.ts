// Preset names become file names and policy keys, so they are held to RFC 1123 label rules.
export const PRESET_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidPresetName(name: string): boolean {
  return PRESET_NAME.test(name);
}
