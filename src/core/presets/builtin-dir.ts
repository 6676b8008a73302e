// Built-in presets ship as YAML in the package's presets/ directory.
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../project-root.js';

export const BUILTIN_PRESETS_DIR = `${join(PROJECT_ROOT, 'presets')}/`;
