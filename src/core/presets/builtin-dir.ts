// Built-in presets ship as YAML in the package's presets/ directory (the package runs from source, no build).
import { fileURLToPath } from 'node:url';

export const BUILTIN_PRESETS_DIR = fileURLToPath(new URL('../../../presets/', import.meta.url));
